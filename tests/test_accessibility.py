"""axe-core (vendored by axe-playwright-python) in Chromium finds nothing serious or critical on the pages each
role works with, in both languages: the log-in page, each role's home, coverage (the drill-down and the
rankings), the visits table, the map, the forms and the reports page. Colour contrast (4.5:1) is one of the
serious rules.

One server, one browser and one county for the whole module: each role and language gets its own context.
Nothing is excluded from the checks except Leaflet's map tiles (``.leaflet-tile-pane``): pictures from a tile
server, decorative (Leaflet marks them ``role=presentation``) and drawn by someone else. Folium's controls and
our legends, popups and layer names are checked with the rest of the map's frame.
"""
from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from werkzeug.serving import make_server

from campaign import create_app
from campaign.creation import services as creation
from campaign.creation.models import TargetKind
from campaign.events.models import EventKind, PublicityEvent
from campaign.extensions import db, limiter
from campaign.incidents.models import FraudType, Incident
from campaign.jobs import runner as jobs
from campaign.main import trend
from campaign.visits.services import record_visits
from campaign.warnings.models import FraudWarning, Level

from . import factories, visiting
from .browser import log_in
from .conftest import TEMPLATES, _test_config, clear_tables

SERIOUS = ("serious", "critical")
OUTSIDE = [".leaflet-tile-pane"]  # third-party map tiles (see the module's docstring)


@pytest.fixture(scope="module")
def site(_schema, database_url):
    """A live server on a county with a round, visits, a warning, an event, an incident and creation targets."""
    app = create_app(_test_config(database_url))
    app.jinja_env.bytecode_cache = TEMPLATES
    limiter.reset()  # log-ins of earlier tests count for nothing here
    trend.forget()
    with app.app_context():
        c = factories.small_county()
        round_ = factories.RoundFactory(area=c.root)
        c.worker_a.grids = [c.grid_a1, c.grid_a2]
        h0, h1, h2, _h3 = c.households_a
        record_visits(worker=c.worker_a, items=[
            visiting.visit(h0, round_.id), visiting.visit(h1, round_.id, outcome="not_home", minutes=5),
            visiting.visit(h2, round_.id, outcome="refused", minutes=9, gps=None)])
        record_visits(worker=c.worker_b, items=[visiting.visit(c.households_b[0], round_.id)])
        db.session.add(Incident(village=c.village_a, occurred_on=round_.starts_on, fraud_type=FraudType.LOAN,
                                loss=100, recovered=0))
        received = datetime.combine(round_.starts_on, time(8), tzinfo=UTC)
        warning = FraudWarning(area=c.village_a, resident="王某", level=Level.HIGH, received_at=received,
                               deadline_at=received + timedelta(hours=2), assigned_to=c.worker_a)
        db.session.add(warning)
        event = PublicityEvent(kind=EventKind.COURTYARD, held_on=round_.starts_on, area=c.grid_a1, attendees=9,
                               created_by_id=c.worker_a.id)
        db.session.add(event)
        target = creation.create_target(area=c.village_a, fields=creation.check_fields(
            kind=TargetKind.COMMUNITY, name="", area=c.village_a), user=c.official_a)
        db.session.commit()
        ids = {"household": h0.id, "warning": warning.id, "event": event.id, "target": target.id,
               "round": round_.id, "worker": c.worker_a.id}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", ids
    server.shutdown()
    thread.join()
    jobs.wait_all()
    trend.wait_counting()  # the county's trend is counted in the background
    trend.forget()
    with app.app_context():
        clear_tables()
        db.engine.dispose()


@pytest.fixture(scope="module")
def chromium(_chromium):
    """The run's one Chromium (tests/browser.py); each test works in fresh contexts of it."""
    return _chromium


TOWN, GRID = "610923100", "610923100001001"
FORMS = ["/households/new?grid=610923100001001", "/households/{household}/edit", "/events/new",
         "/warnings/{warning}"]
PAGES = {
    "admin": ["/", "/coverage/", f"/coverage/{TOWN}", "/coverage/610923/townships", "/coverage/610923/villages",
              "/coverage/610923/workers", "/visits/table", "/visits/table/map", "/maps/610923", "/maps/610923/frame",
              *FORMS, "/incidents/new", "/warnings/new", "/creation/new", "/creation/criteria", "/users/new",
              "/users/{worker}/edit", "/rounds/new", "/reports/"],
    "official_a": ["/", "/coverage/", f"/coverage/{GRID}", f"/coverage/{TOWN}/villages", f"/coverage/{TOWN}/workers",
                   f"/visits/table?area={TOWN}", f"/visits/table/map?area={TOWN}",
                   f"/maps/{TOWN}", f"/maps/{TOWN}/frame", *FORMS, "/incidents/new",
                   "/warnings/new", "/creation/new", "/creation/{target}/edit", "/reports/"],
    "worker_a": ["/", "/coverage/", f"/maps/{GRID}", f"/maps/{GRID}/frame", "/events/new", "/events/{event}/edit",
                 "/warnings/{warning}"],
}

# Officials at a desk; the grid worker on a phone, with the navbar collapsed.
DESK = {"viewport": {"width": 1280, "height": 900}}
VIEWPORTS = {"admin": DESK, "official_a": DESK,
             "worker_a": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}}


def violations(page, where: str) -> list[str]:
    """axe-core's serious and critical findings on the whole page (frames are checked on their own)."""
    from axe_playwright_python.sync_playwright import Axe

    context = {"exclude": [[selector] for selector in OUTSIDE]}
    results = Axe().run(page, context=context, options={"resultTypes": ["violations"], "iframes": False})
    return [f"{where}: {v['id']} ({v['impact']}) {node['target']}: {node.get('failureSummary', '')[:200]}"
            for v in results.response["violations"] if v["impact"] in SERIOUS for node in v["nodes"]]


def in_language(context, base: str, language: str) -> None:
    """The language switch's own request (main.set_language), in this browser's session."""
    if language != "zh_CN":
        assert context.request.post(f"{base}/lang/{language}", form={"next": "/"}).ok


def logged_in(chromium, base: str, username: str, language: str):
    """A context of its own for the user, logged in, in the language."""
    context = chromium.new_context(locale="zh-CN", **VIEWPORTS[username])
    page = context.new_page()
    log_in(page, base, username)
    in_language(context, base, language)
    return context, page


def visit(page, url: str, language: str) -> str | None:
    """Opens the page; what is wrong with it before any check, if anything."""
    response = page.goto(url)
    if response is None or response.status != 200:
        return f"answered {response and response.status}"
    lang = page.evaluate("() => document.documentElement.lang")
    if lang != ("zh-CN" if language == "zh_CN" else language):
        return f"html lang={lang!r}"
    return None


def check(page, url: str, language: str, where: str) -> list[str]:
    wrong = visit(page, url, language)
    return [f"{where}: {wrong}"] if wrong else violations(page, where)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_log_in_page(site, chromium, language):
    base, _ids = site
    context = chromium.new_context(locale="zh-CN")
    in_language(context, base, language)
    page = context.new_page()
    found = check(page, base + "/login", language, f"/login {language}")
    page.fill("#username", "admin")
    page.fill("#password", "not-the-password")
    page.click("main button[type=submit]")
    page.locator("main .alert-danger:visible, main .invalid-feedback:visible").first.wait_for()
    found += violations(page, f"/login {language} after a wrong password")
    context.close()
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("username", list(PAGES))
def test_each_roles_pages(site, chromium, username, language):
    base, ids = site
    context, page = logged_in(chromium, base, username, language)
    found = []
    for path in PAGES[username]:
        path = path.format(**ids)
        found += check(page, base + path, language, f"{username} {language} {path}")
    context.close()
    assert found == [], "\n".join(found)


# Forms sent empty: their error messages and the fields marked invalid must read as well as the rest.
SENT_EMPTY = ["/households/new?grid=610923100001001", "/incidents/new", "/events/new", "/warnings/new",
              "/creation/new", "/users/new", "/rounds/new"]
SEND = """() => { const form = document.querySelector('main form[method=post]');
                  form.noValidate = true; form.requestSubmit(); }"""


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_forms_with_their_errors(site, chromium, language):
    base, _ids = site
    context, page = logged_in(chromium, base, "admin", language)
    found = []
    for path in SENT_EMPTY:
        where = f"admin {language} {path} sent empty"
        wrong = visit(page, base + path, language)
        if wrong:
            found.append(f"{where}: {wrong}")
            continue
        with page.expect_navigation():
            page.evaluate(SEND)
        if not page.locator("main .is-invalid, main .alert-danger").count():
            found.append(f"{where}: no error shown")
        found += violations(page, where)
    context.close()
    assert found == [], "\n".join(found)
