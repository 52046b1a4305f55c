"""The grid worker's phone in real headless Chromium against the app under gunicorn: offline logging, the queue,
and syncing. The field's bad networks are in test_phone_field.py."""
import pytest

from campaign.extensions import db

from . import factories
from .browser import log_in, phone

GRID = "610923100001001"


@pytest.fixture
def round_county(app):
    with app.app_context():
        c = factories.small_county()
        factories.RoundFactory(area=c.root, name="冬季敲门行动")
        db.session.commit()


def reached(context, base):
    response = context.request.get(f"{base}/api/v1/coverage?area={GRID}")
    assert response.ok, response.text()
    return response.json()["figures"]["reached"]


def open_walk_list(page, base):
    page.goto(base + "/visits/")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # from now on the service worker controls the page
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_selector("[data-section=never] [data-household]")
    page.evaluate("() => window.wuzhaPhone.ready.then(() => true)")  # the first sync is over


@pytest.fixture
def walk(gunicorn_server, browser, round_county):
    """worker_a's phone with the walk list open, the service worker in control."""
    context = phone(browser)
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, gunicorn_server, "worker_a")
    open_walk_list(page, gunicorn_server)
    yield context, page, gunicorn_server
    context.close()


def log_visit(page, outcome="reached"):
    page.locator("[data-section=never] [data-household]").first.click()
    page.click(f"#visit-form [data-outcome={outcome}]")
    if outcome == "reached":
        page.click('#visit-form .stepper[data-field="people_briefed"] [data-step="1"]')
    page.evaluate("() => { document.getElementById('toast').textContent = ''; }")
    page.click("#save")
    page.wait_for_selector("#visit-form", state="hidden")
    page.wait_for_function("() => document.getElementById('toast').textContent !== ''")  # queued: "saved"


def test_worker_logs_three_visits_offline_then_syncs_and_coverage_rises(walk):
    context, page, base = walk
    before = reached(context, base)

    context.set_offline(True)
    page.wait_for_function("() => document.getElementById('net').textContent === '离线'")
    for _ in range(3):
        log_visit(page)
    assert page.inner_text("#pending") == "3"
    assert page.locator(".pending-mark").count() == 3

    # Closing the page loses nothing: the shell and the queue come back with no network.
    page.close()
    page = context.new_page()
    page.goto(base + "/visits/")
    page.wait_for_selector("[data-section=done] [data-household]", state="attached")
    assert page.inner_text("#pending") == "3"

    context.set_offline(False)
    page.wait_for_selector("#pending", state="hidden", timeout=20_000)
    assert reached(context, base) == before + 3
    assert "已入户 3 / 3 户" in page.inner_text("#progress-text")


def test_a_lost_answer_or_server_error_loses_nothing_and_counts_once(walk):
    context, page, base = walk
    answered = []

    def store_then_fail(route):
        route.fetch()  # the server records the visits, but the answer never reaches the phone
        route.fulfill(status=503, content_type="application/json", body='{"error": "gateway timeout"}')
        answered.append(route.request.post_data_json)

    context.set_offline(True)
    log_visit(page)
    log_visit(page, outcome="not_home")
    page.route("**/api/v1/visits", store_then_fail)
    context.set_offline(False)
    for _ in range(100):  # until both visits have been sent once (the phone also retries by itself)
        if any(len(body["visits"]) == 2 for body in answered):
            break
        if not page.is_disabled("#sync"):
            page.click("#sync")
        page.wait_for_timeout(200)
    page.unroute_all(behavior="wait")
    page.wait_for_function("() => document.getElementById('toast').textContent.includes('服务器未正常响应')")
    assert page.inner_text("#pending") == "2"
    stored = context.request.get(f"{base}/api/v1/coverage?area={GRID}").json()["figures"]
    assert stored["visits"] == 2  # on the server already, though the phone never heard back

    page.click("#sync")
    page.wait_for_selector("#pending", state="hidden", timeout=20_000)
    coverage = context.request.get(f"{base}/api/v1/coverage?area={GRID}").json()["figures"]
    assert (coverage["visits"], coverage["reached"], coverage["not_home"]) == (2, 1, 1)


def test_walk_list_search_and_distance(walk):
    _context, page, _base = walk
    assert page.locator("[data-household]").count() == 3
    page.wait_for_selector(".distance")
    label = page.locator("[data-household] strong").first.inner_text()
    page.fill("#search", label)
    assert page.locator("[data-household]").count() == 1
