"""The grid worker's phone in the field (issue 14): real headless Chromium against the real app under gunicorn,
through a bad network (bench/netproxy.py). Every scenario checks what the database holds, not only the page."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.households.models import Household
from campaign.rounds.models import Round
from campaign.visits.models import Visit
from campaign.warnings import services as warnings
from campaign.warnings.models import FraudWarning, Level

from . import factories
from .browser import log_in, phone
from .conftest import PASSWORD

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY_MS = 24 * 3600 * 1000
KM_1_2 = 0.0108  # degrees of latitude: about 1.2 km north of the households


@pytest.fixture(scope="module")
def chromium(_chromium):
    """The run's one Chromium (tests/browser.py); each test works in fresh contexts of it."""
    return _chromium


@pytest.fixture
def field(app, field_server, chromium):
    """A county with a round in progress; worker_a's three doors are labelled 甲巷…, worker_b's 乙巷…, so that a
    page showing another worker's doors is caught by its text. ``f.phone()`` is one phone (a browser context)."""
    with app.app_context():
        county = factories.small_county()
        for n, household in enumerate(county.households_a[:3], 1):
            household.door_label = f"甲巷{n}号"
        for n, household in enumerate(county.households_b, 1):
            household.door_label = f"乙巷{n}号"
        round_ = factories.RoundFactory(area=county.root, name="冬季敲门行动")
        db.session.commit()
        snap = factories.snapshot(county)
        round_id = round_.id
    contexts = []

    def new_phone(**extra):
        context = phone(chromium, **extra)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield SimpleNamespace(app=app, proxy=field_server, base=field_server.url, county=snap, round_id=round_id,
                          a=[h.id for h in snap.households_a[:3]], phone=new_phone)
    for context in contexts:
        context.close()


# -- the database ---------------------------------------------------------------------------------------------

def stored(app) -> list[SimpleNamespace]:
    """Every stored visit, with its worker's user name, oldest first."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(Visit, factories.User.username).join(factories.User, Visit.worker_id == factories.User.id)
            .order_by(Visit.id)).all()
        return [SimpleNamespace(**factories.snapshot(visit).__dict__, username=username) for visit, username in rows]


def near(moment: datetime, other: datetime, seconds: float = 120) -> bool:
    return abs((moment - other).total_seconds()) <= seconds


# -- the page -------------------------------------------------------------------------------------------------

def until(page, predicate: str, arg=None, timeout: float = 15_000):
    """Wait for a JavaScript function (a string predicate would be eval'd, which the page's policy refuses)."""
    return page.wait_for_function(predicate, arg=arg, timeout=timeout)


def phone_ready(page) -> None:
    until(page, "() => window.wuzhaPhone !== undefined")
    page.evaluate("() => Promise.resolve(window.wuzhaPhone.ready).then(() => true)")


def open_walk(page, base: str) -> None:
    """The walk list with the service worker in control (its first load installs the worker)."""
    page.goto(base + "/visits/")
    phone_ready(page)
    if not page.evaluate("() => navigator.serviceWorker.controller !== null"):
        page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
        page.reload()
        until(page, "() => navigator.serviceWorker.controller !== null")
        phone_ready(page)
    page.wait_for_selector("#sections [data-household]")


def net_is(page, text: str, timeout: float = 15_000) -> None:
    until(page, "(text) => document.getElementById('net').textContent.trim() === text", text, timeout)


def pending(page) -> int:
    badge = page.locator("#pending")
    return 0 if badge.is_hidden() else int(badge.inner_text())


def synced(page, timeout: float = 20_000) -> None:
    page.wait_for_selector("#pending", state="hidden", timeout=timeout)


def row(page, household_id: int):
    return page.locator(f"#sections [data-household='{household_id}']")


def open_row(page, household_id: int) -> None:
    """Taps a household, unfolding its section first (done and refused doors are folded)."""
    for attempt in range(3):
        folded = page.locator(f"#sections details:has([data-household='{household_id}']):not([open])")
        if folded.count():
            folded.locator("summary").click()
        try:
            row(page, household_id).click(timeout=3000)  # the list is drawn again on each sync and fix
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise


def log_visit(page, household_id: int, outcome: str = "reached") -> None:
    open_row(page, household_id)
    page.click(f"#visit-form [data-outcome={outcome}]")
    if outcome == "reached":
        page.click('#visit-form .stepper[data-field="people_briefed"] [data-step="1"]')
    page.evaluate("() => { document.getElementById('toast').textContent = ''; }")
    page.click("#save")
    page.wait_for_selector("#visit-form", state="hidden")
    until(page, "() => document.getElementById('toast').textContent !== ''")  # in the queue: "saved on this phone"


def queue(page) -> list[dict]:
    """What waits on this phone (every owner's records), as the page's store holds it."""
    return page.evaluate("() => window.wuzhaPhone.queue().then((items) => items.map((i) => "
                         "({uuid: i.uuid, owner: i.owner, kind: i.kind})))")


class PageNetwork:
    """One tab's network cut off or restored (DevTools), the rest of the phone left as it is."""

    def __init__(self, page):
        self.session = page.context.new_cdp_session(page)
        self.session.send("Network.enable")

    def offline(self, offline: bool) -> None:
        self.session.send("Network.emulateNetworkConditions", {
            "offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})


def log_out(page, base: str) -> None:
    page.goto(base + "/account/")  # not the phone page, which would send the queue first
    page.locator("form[action$='/logout']").evaluate("(form) => form.requestSubmit()")
    page.wait_for_url(re.compile(r".*/login.*"))


def waiting_note(page) -> str:
    page.wait_for_selector("#waiting-note", state="visible")
    return page.inner_text("#waiting-note")


def shows_no_doors_of_worker_a(page) -> None:
    assert "甲巷" not in page.content()


# -- two workers on one phone ---------------------------------------------------------------------------------

@pytest.mark.parametrize("order", ["b_logs_in_first", "a_comes_online_first"])
def test_a_phone_passed_to_another_worker_never_sends_or_shows_the_first_workers_visits(field, order):
    f = field
    context = f.phone()
    tab_a = context.new_page()
    # worker_a's tab missed the news of the log-outs and log-ins in other tabs (a tab frozen in the background,
    # or a browser without BroadcastChannel): it has to find out by itself before it sends or saves anything.
    tab_a.add_init_script("delete window.BroadcastChannel")
    log_in(tab_a, f.base, "worker_a")
    open_walk(tab_a, f.base)
    network_a = PageNetwork(tab_a)
    network_a.offline(True)
    net_is(tab_a, "离线")
    log_visit(tab_a, f.a[0])
    log_visit(tab_a, f.a[1], "not_home")
    assert pending(tab_a) == 2
    open_row(tab_a, f.a[2])  # a third visit begun, the form left open
    tab_a.click("#visit-form [data-outcome=not_home]")

    other = context.new_page()
    log_out(other, f.base)
    assert "2" in waiting_note(other)
    if order == "a_comes_online_first":
        network_a.offline(False)
        tab_a.evaluate("() => window.wuzhaPhone.sync()")
        assert stored(f.app) == []
        tab_a.click("#save")  # nobody holds the phone: the page locks instead of saving
        tab_a.wait_for_url(re.compile(r".*/login.*"))  # and opens again as what it now is: the log-in page
        assert "2" in waiting_note(tab_a)
    log_in(other, f.base, "worker_b")
    if order == "b_logs_in_first":
        tab_a.click("#save")  # worker_b holds the phone: the page locks instead of saving
        network_a.offline(False)
        until(tab_a, "() => document.getElementById('owner-name').textContent === 'worker_b'")  # b's page now

    # worker_a's tab shows none of a's doors any more, and sent nothing under worker_b.
    until(tab_a, "() => !document.body.innerText.includes('甲巷')", timeout=20_000)
    tab_a.wait_for_load_state()
    if tab_a.evaluate("() => window.wuzhaPhone !== undefined"):
        tab_a.evaluate("() => window.wuzhaPhone.sync()")
    assert stored(f.app) == []

    # worker_b's own pages, online and offline, show b's doors only; a's records wait, a's alone.
    open_walk(other, f.base)
    items = queue(other)
    assert len(items) == 2 and {item["owner"] for item in items} == {f.county.worker_a.id}
    assert other.locator("#sections [data-household]").count() == 2
    shows_no_doors_of_worker_a(other)
    assert pending(other) == 0
    context.set_offline(True)
    other.goto(f.base + "/visits/")
    other.wait_for_selector("#sections [data-household]")
    shows_no_doors_of_worker_a(other)
    context.set_offline(False)
    log_out(other, f.base)
    assert "2" in waiting_note(other)
    context.set_offline(True)
    other.goto(f.base + "/visits/")
    other.wait_for_selector("#signed-out", state="visible")
    assert "2" in waiting_note(other)
    content = other.content()
    assert "甲巷" not in content and "乙巷" not in content
    context.set_offline(False)
    assert stored(f.app) == []

    # worker_a logs in again: the home page takes a to the phone page, which sends the queue under a, once.
    other.goto(f.base + "/login")
    other.fill("#username", "worker_a")
    other.fill("#password", PASSWORD)
    other.click("main button[type=submit]")
    other.wait_for_url(f.base + "/visits/")
    phone_ready(other)
    synced(other)
    visits = stored(f.app)
    assert sorted((v.username, v.household_id, str(v.outcome)) for v in visits) == [
        ("worker_a", f.a[0], "reached"), ("worker_a", f.a[1], "not_home")]


# -- a sick network: errors, a captive portal, no answer ------------------------------------------------------

def shows_the_shell(page, base: str, path: str) -> None:
    page.goto(base + path)
    page.wait_for_selector("#sections [data-household]", timeout=20_000)
    assert "登录 WiFi" not in page.content()
    assert page.locator("#sections [data-household]").count() == 3


def test_server_errors_a_captive_portal_and_no_server_show_the_shell_keep_the_visits_and_sync_once_back(field):
    f = field
    context = f.phone()
    page = context.new_page()
    log_in(page, f.base, "worker_a")
    open_walk(page, f.base)
    modes = ["500", "down", "503", "portal"]
    doors = [f.a[0], f.a[1], f.a[2], f.a[0]]
    for n, (mode, door) in enumerate(zip(modes, doors, strict=True)):
        f.proxy.mode = mode
        for path in ("/visits/", "/", "/login"):
            shows_the_shell(page, f.base, path)
        log_visit(page, door, "not_home")
        page.wait_for_selector(".pending-mark")
        assert pending(page) == n + 1
        assert "登录 WiFi" not in page.content()
    assert stored(f.app) == []
    f.proxy.mode = "pass"
    synced(page, timeout=15_000)  # at once: the phone keeps trying, the network is back
    visits = stored(f.app)
    assert sorted(v.household_id for v in visits) == sorted(doors) and len({v.uuid for v in visits}) == 4


def test_a_server_that_never_answers_shows_the_shell_and_sync_resumes_when_it_does(field):
    f = field
    context = f.phone()
    page = context.new_page()
    log_in(page, f.base, "worker_a")
    open_walk(page, f.base)
    f.proxy.mode = "hang"
    for path in ("/visits/", "/", "/login"):  # each after the service worker's 6 s wait
        shows_the_shell(page, f.base, path)
    log_visit(page, f.a[0])
    log_visit(page, f.a[1], "refused")
    assert pending(page) == 2
    page.wait_for_timeout(1000)
    assert stored(f.app) == []
    f.proxy.mode = "pass"
    # The hung requests end as the network changes, and the phone tries again at once.
    synced(page, timeout=10_000)
    visits = stored(f.app)
    assert sorted((v.household_id, str(v.outcome)) for v in visits) == [(f.a[0], "reached"), (f.a[1], "refused")]


# -- a wrong clock --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("days", [2, -2])
def test_a_wrong_clock_is_measured_online_and_visits_logged_offline_are_stored_at_the_real_time(field, days):
    f = field
    context = f.phone()
    real = utcnow()
    context.clock.install(time=real + timedelta(days=days))
    page = context.new_page()
    log_in(page, f.base, "worker_a")
    open_walk(page, f.base)
    clock = page.evaluate("() => window.wuzhaPhone.clock()")
    assert abs(clock["offset_ms"] + days * DAY_MS) < 60_000, clock
    context.set_offline(True)
    net_is(page, "离线")
    log_visit(page, f.a[0])
    context.set_offline(False)
    synced(page)
    [visit] = stored(f.app)
    assert near(visit.visited_at, utcnow())
    assert near(visit.phone_time, utcnow() + timedelta(days=days))
    assert abs(visit.clock_offset_ms + days * DAY_MS) < 60_000
    assert visit.time_trusted is True


@pytest.mark.parametrize("days", [2, -2])
def test_a_page_opened_offline_after_the_clock_changed_stores_its_visit_as_untrusted(field, days):
    f = field
    context = f.phone()
    context.clock.install(time=utcnow())
    page = context.new_page()
    log_in(page, f.base, "worker_a")
    open_walk(page, f.base)  # the server's clock measured and kept: the phone is right
    context.set_offline(True)
    net_is(page, "离线")
    context.clock.set_system_time(utcnow() + timedelta(days=days))
    page.reload()
    page.wait_for_selector("#sections [data-household]")
    log_visit(page, f.a[0])
    context.set_offline(False)
    synced(page)
    [visit] = stored(f.app)
    assert visit.time_trusted is False
    assert near(visit.phone_time, utcnow() + timedelta(days=days))
    assert visit.visited_at <= utcnow() + timedelta(minutes=5)  # a future time is never stored


# -- GPS: coarse or refused -----------------------------------------------------------------------------------

def test_a_coarse_fix_shows_distances_in_kilometres_and_is_stored_as_coarse(field):
    f = field
    context = f.phone(geolocation={"latitude": 33.3 + KM_1_2, "longitude": 108.3, "accuracy": 1500})
    page = context.new_page()
    log_in(page, f.base, "worker_a")
    open_walk(page, f.base)
    page.wait_for_selector("#sections .distance")
    distance = row(page, f.a[0]).locator(".distance").inner_text().strip()
    assert re.fullmatch(r"约 1\.2 公里", distance)
    log_visit(page, f.a[0])
    synced(page)
    [visit] = stored(f.app)
    assert str(visit.geo) == "coarse" and visit.accuracy_m == pytest.approx(1500)


def test_a_refused_location_saves_the_visit_without_one(field):
    f = field
    context = f.phone(permissions=[])
    page = context.new_page()
    log_in(page, f.base, "worker_a")
    open_walk(page, f.base)
    distance = row(page, f.a[0]).locator(".distance")
    assert distance.count() == 0 or not distance.inner_text().strip()
    log_visit(page, f.a[0], "not_home")
    synced(page)
    [visit] = stored(f.app)
    assert str(visit.geo) == "grey" and visit.lat is None


# -- visits the server refuses --------------------------------------------------------------------------------

def problem(page, uuid: str):
    return page.locator(f"#problems .problem[data-uuid='{uuid}']")


def test_refused_visits_are_listed_with_their_reason_mended_or_discarded_after_asking(field):
    f = field
    context = f.phone()
    page = context.new_page()
    log_in(page, f.base, "worker_a")
    open_walk(page, f.base)

    # Offline, two visits; meanwhile the second household moves to another township's grid.
    context.set_offline(True)
    net_is(page, "离线")
    log_visit(page, f.a[0])
    log_visit(page, f.a[1], "not_home")
    with f.app.app_context():
        db.session.get(Household, f.a[1]).grid_id = f.county.grid_b1.id
        db.session.commit()
    context.set_offline(False)
    page.wait_for_selector("#problems .problem")
    until(page, "() => /1\\s*条已上传.*1\\s*条未被接收/.test(document.getElementById('toast').textContent)")
    assert [v.household_id for v in stored(f.app)] == [f.a[0]]
    moved = page.locator("#problems .problem").first
    uuid = moved.get_attribute("data-uuid")
    assert moved.locator(".problem-reason").inner_text().strip()

    # Mended by choosing another household: sent again and stored.
    moved.locator("[data-action=mend]").click()
    page.wait_for_selector("#mend-form", state="visible")
    page.select_option("#mend-household", str(f.a[2]))
    page.click("#mend-save")
    problem(page, uuid).wait_for(state="detached", timeout=20_000)
    synced(page)
    assert [(v.uuid, v.household_id) for v in stored(f.app)][1] == (uuid, f.a[2])

    # Offline again, two more; meanwhile the round is cut short to end yesterday.
    context.set_offline(True)
    net_is(page, "离线")
    log_visit(page, f.a[0], "not_home")
    log_visit(page, f.a[2], "reached")
    yesterday = datetime.now(SHANGHAI).date() - timedelta(days=1)
    with f.app.app_context():
        db.session.get(Round, f.round_id).ends_on = yesterday
        db.session.commit()
    context.set_offline(False)
    until(page, "() => document.querySelectorAll('#problems .problem').length === 2", timeout=20_000)
    late, other = page.locator("#problems .problem").all()
    late_uuid, other_uuid = late.get_attribute("data-uuid"), other.get_attribute("data-uuid")
    assert late.locator(".problem-reason").inner_text().strip()
    assert len(stored(f.app)) == 2

    # One mended with a time within the round.
    late.locator("[data-action=mend]").click()
    page.wait_for_selector("#mend-form", state="visible")
    page.fill("#mend-time", f"{yesterday.isoformat()}T10:00")
    page.click("#mend-save")
    problem(page, late_uuid).wait_for(state="detached")
    until(page, "() => document.getElementById('pending').hidden")  # sent again, and not refused this time
    assert page.locator("#problems .problem").count() == 1
    mended = {v.uuid: v for v in stored(f.app)}[late_uuid]
    assert mended.visited_at == datetime(yesterday.year, yesterday.month, yesterday.day, 10,
                                         tzinfo=SHANGHAI).astimezone(UTC)

    # The other discarded, but only once confirmed.
    problem(page, other_uuid).locator("[data-action=discard]").click()
    problem(page, other_uuid).locator("[data-action=cancel-discard]").click()
    assert problem(page, other_uuid).count() == 1
    problem(page, other_uuid).locator("[data-action=discard]").click()
    problem(page, other_uuid).locator("[data-action=confirm-discard]").click()
    problem(page, other_uuid).wait_for(state="detached")
    synced(page)
    assert other_uuid not in {v.uuid for v in stored(f.app)} and len(stored(f.app)) == 3
    assert queue(page) == []


# -- warnings -------------------------------------------------------------------------------------------------

def new_warning(f, resident: str, hours_ago: float = 0.5) -> int:
    with f.app.app_context():
        village = db.session.get(factories.Area, f.county.village_a.id)
        official = db.session.get(factories.User, f.county.official_a.id)
        warning = warnings.create_warning(area=village, resident=resident, level=Level.HIGH, phone="139 1234 5678",
                                          received_at=utcnow() - timedelta(hours=hours_ago), user=official)
        warnings.assign(warning, worker=db.session.get(factories.User, f.county.worker_a.id), user=official)
        db.session.commit()
        return warning.id


def test_warnings_are_worked_offline_and_synced_and_a_new_one_appears_while_the_page_is_open(field):
    f = field
    first = new_warning(f, "王某某")
    context = f.phone()
    page = context.new_page()
    log_in(page, f.base, "worker_a")
    open_walk(page, f.base)
    card = page.locator(f"#warnings .warning-card[data-warning='{first}']")
    card.wait_for()
    assert re.search(r"\d", card.locator(".countdown").inner_text())

    context.set_offline(True)
    net_is(page, "离线")
    card.locator("[data-attempt=face]").click()
    page.wait_for_selector("#warning-form", state="visible")
    page.fill("#warning-result", "当面劝阻，已停止转账")
    page.click("#warning-save")
    page.wait_for_selector("#warning-form", state="hidden")
    card.locator("[data-close]").click()
    page.wait_for_selector("#warning-form", state="visible")
    page.select_option("#warning-outcome", "dissuaded")
    page.fill("#warning-loss", "1200.50")
    page.fill("#warning-result", "家属陪同，已报警")
    page.click("#warning-save")
    page.wait_for_selector("#warning-form", state="hidden")
    assert card.locator(".pending-mark").count() >= 1 or "pending-mark" in (card.get_attribute("class") or "")
    with f.app.app_context():
        assert db.session.get(FraudWarning, first).closed_at is None

    context.set_offline(False)
    synced(page)
    with f.app.app_context():
        warning = db.session.get(FraudWarning, first)
        assert [(str(a.kind), a.result) for a in warning.attempts] == [("face", "当面劝阻，已停止转账")]
        assert warning.first_face_at is not None and near(warning.first_face_at, utcnow())
        assert warning.closed_at is not None and str(warning.outcome) == "dissuaded"
        assert str(warning.loss_prevented) == "1200.50"

    second = new_warning(f, "李某某", hours_ago=0.1)
    page.locator(f"#warnings .warning-card[data-warning='{second}']").wait_for(timeout=30_000)
