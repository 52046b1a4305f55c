"""The visits table (/visits/table): filters, sorting, the pager and the count, the user's scope, the
link from the ranking of workers, the map of the filtered visits and the export."""
import io
import re
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa

from campaign.accounts.models import Role, User
from campaign.core.clock import local_date
from campaign.extensions import db
from campaign.households.models import Household
from campaign.visits import table, table_query
from campaign.visits.models import Visit
from campaign.visits.rebuild import rebuild_round
from campaign.visits.services import record_visits

from . import factories, visiting

MARKUP = '<img src=x onerror="window.pwned=1">{{ config.SECRET_KEY }}'


def _user(name):
    return db.session.scalar(sa.select(User).where(User.username == name))


@pytest.fixture
def visited(app):
    """Township A: worker_a (grid 1) and worker_c (grid 2) with visits of every kind; township B: one
    visit by worker_b, whose household and note are made of markup. One visit of A is five days old."""
    with app.app_context():
        c = factories.small_county()
        round_ = factories.RoundFactory(area=c.root)
        worker_c = factories.UserFactory(username="worker_c", display_name="陈网格员", role=Role.WORKER,
                                         grids=[c.grid_a2])
        c.worker_a.display_name = "李网格员"
        h0, h1, h2, h3 = c.households_a
        record_visits(worker=c.worker_a, items=[
            visiting.visit(h0, round_.id, minutes=0, note="老人独居"),                  # green, reached
            visiting.visit(h1, round_.id, outcome="not_home", minutes=10, gps=(33.31, 108.3)),  # red
            visiting.visit(h2, round_.id, outcome="refused", minutes=20, gps=None),   # grey
            visiting.visit(h0, round_.id, minutes=40),                                 # green
            visiting.visit(h1, round_.id, minutes=40.1),                               # too fast
            visiting.visit(h2, round_.id, outcome="not_home", minutes=60, time_trusted=False)])
        record_visits(worker=worker_c, items=[
            visiting.visit(h3, round_.id, minutes=30, accuracy=500.0)])               # coarse
        hb = c.households_b[0]
        hb.door_label = MARKUP
        record_visits(worker=c.worker_b, items=[visiting.visit(hb, round_.id, minutes=5, note=MARKUP)])
        db.session.flush()
        old = db.session.scalar(sa.select(Visit).where(Visit.household_id == h0.id).order_by(Visit.visited_at))
        old.visited_at -= timedelta(days=5)
        rebuild_round(round_.id)
        db.session.commit()
        visits = db.session.scalars(sa.select(Visit).order_by(Visit.visited_at)).all()
        return {"round": round_.id, "worker_a": c.worker_a.id, "worker_b": c.worker_b.id, "worker_c": worker_c.id,
                "old_day": local_date(old.visited_at), "today": local_date(visits[-1].visited_at),
                "ids": {v.id: (v.outcome.value, v.geo.value, v.too_fast, v.time_trusted) for v in visits},
                "households": [h.id for h in c.households_a], "hb": hb.id,
                "visit_b": next(v.id for v in visits if v.household_id == hb.id)}


def rows(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-visit="(\d+)">', page)]


def get(client, **args):
    return client.get("/visits/table", query_string=args)


def test_an_official_sees_the_visits_of_their_township_newest_first(client, auth, visited):
    auth.login("official_a")
    response = get(client)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    ids = rows(page)
    assert len(ids) == 7 and visited["visit_b"] not in ids
    assert "window.pwned" not in page and "四亩地村" not in page
    with client.application.app_context():
        times = [db.session.get(Visit, i).visited_at for i in ids]
    assert times == sorted(times, reverse=True)
    assert "定位粗略" in page and "时间存疑" in page and "过快" in page  # GPS class and signals as in the lists


def test_the_county_office_sees_both_townships_with_markup_shown_as_text(client, auth, visited):
    auth.login("admin")
    page = get(client).get_data(as_text=True)
    assert len(rows(page)) == 8
    assert "<img src=x" not in page and "&lt;img src=x onerror=" in page and "test-secret" not in page


def test_anonymous_is_sent_to_log_in_and_a_worker_is_refused(client, auth, visited):
    for url in ("/visits/table", "/visits/table/map", "/visits/table/export.xlsx"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    auth.login("worker_a")
    for url in ("/visits/table", "/visits/table/map", "/visits/table/export.xlsx"):
        assert client.get(url).status_code == 403


def test_another_townships_area_round_or_worker_is_unknown(app, client, auth, visited):
    auth.login("official_b")
    assert get(client, area="610923100").status_code == 404
    assert get(client, area="610923100001001").status_code == 404
    assert get(client, worker=visited["worker_a"]).status_code == 404
    assert get(client, worker="abc").status_code == 404
    with app.app_context():
        other = factories.AreaFactory(code="610924", name="紫阳县")
        foreign = factories.RoundFactory(area=other).id
        db.session.commit()
    assert get(client, round=foreign).status_code == 404
    assert rows(get(client).get_data(as_text=True)) == [visited["visit_b"]]


def _only(page, predicate, visited):
    expected = {i for i, fields in visited["ids"].items() if predicate(*fields)}
    return set(rows(page)) == expected - {visited["visit_b"]}


@pytest.mark.parametrize("args, predicate", [
    ({"outcome": "refused"}, lambda o, g, f, t: o == "refused"),
    ({"outcome": "not_home"}, lambda o, g, f, t: o == "not_home"),
    ({"geo": "red"}, lambda o, g, f, t: g == "red"),
    ({"geo": "grey"}, lambda o, g, f, t: g == "grey"),
    ({"geo": "coarse"}, lambda o, g, f, t: g == "coarse"),
    ({"geo": "green"}, lambda o, g, f, t: g == "green"),
    ({"too_fast": "1"}, lambda o, g, f, t: f),
    ({"untrusted": "1"}, lambda o, g, f, t: not t),
    ({"flagged": "1"}, lambda o, g, f, t: f or not t or g in ("red", "grey")),
    ({"flagged": "1", "outcome": "not_home"}, lambda o, g, f, t: o == "not_home" and (f or not t or g == "red")),
])
def test_each_filter_keeps_only_its_visits(app, client, auth, visited, args, predicate):
    auth.login("official_a")
    page = get(client, **args).get_data(as_text=True)
    assert _only(page, predicate, visited)
    assert rows(page), "every case of the fixture matches some visit"


def test_worker_village_grid_and_round_filters(app, client, auth, visited):
    auth.login("official_a")
    mine = rows(get(client, worker=visited["worker_c"]).get_data(as_text=True))
    assert len(mine) == 1 and visited["ids"][mine[0]][1] == "coarse"
    assert len(rows(get(client, worker=visited["worker_a"]).get_data(as_text=True))) == 6
    assert len(rows(get(client, area="610923100001").get_data(as_text=True))) == 7
    assert rows(get(client, area="610923100001002").get_data(as_text=True)) == mine
    assert len(rows(get(client, area="610923100001001", round=visited["round"]).get_data(as_text=True))) == 6


def test_date_range_uses_local_days(client, auth, visited):
    auth.login("official_a")
    old = visited["old_day"].isoformat()
    assert len(rows(get(client, start=old, end=old).get_data(as_text=True))) == 1
    assert len(rows(get(client, start=(visited["old_day"] + timedelta(days=1)).isoformat())
                    .get_data(as_text=True))) == 6
    assert len(rows(get(client, end=old).get_data(as_text=True))) == 1


@pytest.mark.parametrize("args, field", [({"start": "2026-13-01"}, "start"), ({"geo": "purple"}, "geo"),
                                         ({"outcome": "x"}, "outcome"),
                                         ({"start": "2026-05-02", "end": "2026-05-01"}, "end")])
def test_a_bad_filter_is_refused_beside_its_field(client, auth, visited, args, field):
    auth.login("official_a")
    response = get(client, **args)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and rows(page) == []
    assert re.search(rf'id="f-{field}"[^>]*>', page) and "invalid-feedback" in page
    assert client.get("/visits/table/map", query_string=args).status_code == 400


def _sorted(client, app, sort, order=None) -> list[tuple]:
    """(visited_at, geo, outcome, worker name, grid code, door label, household id) of the rows, in order."""
    ids = rows(get(client, sort=sort, **({"order": order} if order else {})).get_data(as_text=True))
    with app.app_context():
        visits = [db.session.get(Visit, i) for i in ids]
        return [(v.visited_at, v.geo.value, v.outcome.value, v.worker.display_name, v.household.grid.code,
                 v.household.door_label, v.household_id) for v in visits]


def test_sorting_by_each_column_both_ways(app, client, auth, visited):
    auth.login("official_a")
    oldest = [v[0] for v in _sorted(client, app, "time", "asc")]
    assert oldest == sorted(oldest) and len(oldest) == 7
    by_geo = [v[1] for v in _sorted(client, app, "geo")]
    assert by_geo == sorted(by_geo, key=[g.value for g in table_query.GEO_ORDER].index)
    worst = [v[1] for v in _sorted(client, app, "geo", "desc")]
    assert worst[0] == "red" and worst[-1] == "green"
    by_outcome = [v[2] for v in _sorted(client, app, "outcome")]
    assert by_outcome == sorted(by_outcome, key=[o.value for o in table_query.OUTCOME_ORDER].index)
    assert [v[2] for v in _sorted(client, app, "outcome", "desc")][0] == "refused"
    workers = [v[3] for v in _sorted(client, app, "worker")]
    assert workers == sorted(workers) and workers[0] == "李网格员"
    assert [v[3] for v in _sorted(client, app, "worker", "desc")][0] == "陈网格员"
    households = _sorted(client, app, "household")
    assert [(v[4], v[5]) for v in households] == sorted((v[4], v[5]) for v in households)
    within = [v[0] for v in households if v[6] == visited["households"][0]]
    assert within == sorted(within, reverse=True) and len(within) == 2  # newest first inside each household
    assert rows(get(client, sort="visited_at; DROP TABLE visit").get_data(as_text=True)) == \
        rows(get(client).get_data(as_text=True))


def test_a_sorted_column_says_so_and_its_link_turns_the_order(client, auth, visited):
    auth.login("official_a")
    page = get(client, sort="geo").get_data(as_text=True)
    assert 'aria-sort="ascending"' in page
    assert re.search(r'href="/visits/table\?[^"]*sort=geo[^"]*order=desc[^"]*" data-sort="geo"', page)


def _many(app, visited, n):
    with app.app_context():
        worker = _user("worker_a")
        household = db.session.get(Household, visited["households"][0])
        record_visits(worker=worker, items=[visiting.visit(household, visited["round"], minutes=100 + i)
                                            for i in range(n)])
        db.session.commit()


def test_pager_with_page_numbers_and_the_count(app, client, auth, visited):
    _many(app, visited, 120)
    auth.login("official_a")
    first = get(client).get_data(as_text=True)
    assert len(rows(first)) == 50 and 'data-source="tallies"' in first and "127" in first
    assert 'aria-current="page">1<' in first and ">3</a>" in first and ">4</a>" not in first
    third = get(client, page=3).get_data(as_text=True)
    assert len(rows(third)) == 27 and not set(rows(third)) & set(rows(first))
    assert rows(get(client, page=99).get_data(as_text=True)) == rows(third)  # past the end: the last page
    assert rows(get(client, page="x").get_data(as_text=True)) == rows(first)
    links = re.findall(r'href="([^"]*page=2[^"]*)"', get(client, outcome="reached").get_data(as_text=True))
    assert links and all("outcome=reached" in link for link in links)


def test_count_from_tallies_agrees_with_the_visits(app, client, auth, visited):
    auth.login("admin")
    for args in ({}, {"flagged": "1"}, {"too_fast": "1"}, {"untrusted": "1"}, {"geo": "red"}, {"geo": "grey"},
                 {"geo": "coarse"}, {"area": "610923100"}, {"area": "610923100001001", "flagged": "1"}):
        page = get(client, **args).get_data(as_text=True)
        assert 'data-source="tallies"' in page, args
        shown = int(re.search(r'id="visit-count"[^>]*>\s*(\d+)', page).group(1))
        assert shown == len(rows(page)), args
    page = get(client, outcome="reached").get_data(as_text=True)
    assert 'data-source="visits"' in page and int(re.search(r'id="visit-count"[^>]*>\s*(\d+)', page).group(1)) == 5


def test_a_large_count_stops_at_its_cap_and_a_slow_one_is_skipped(app, client, auth, visited, monkeypatch):
    auth.login("official_a")
    monkeypatch.setattr(table_query, "COUNT_CAP", 3)
    page = get(client, outcome="not_home").get_data(as_text=True)
    assert 'data-source="visits"' in page
    page = get(client, worker=visited["worker_a"]).get_data(as_text=True)
    assert 'data-source="capped"' in page and len(rows(page)) == 6
    assert re.search(r'id="visit-count"[^>]*>[^<]*\b3\b', page)

    class Slow:
        def __init__(self, milliseconds):
            pass

        def __enter__(self):
            raise table_query.TooSlow

        def __exit__(self, *exc):
            return False
    monkeypatch.setattr(table_query, "time_limit", Slow)
    page = get(client, worker=visited["worker_a"]).get_data(as_text=True)
    assert 'data-source="skipped"' in page and len(rows(page)) == 6


def test_time_limit_stops_a_slow_statement_and_leaves_the_session_usable(ctx):
    slow = sa.text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000000) "
                   "SELECT count(*) FROM n")
    with pytest.raises(table_query.TooSlow), table_query.time_limit(50):
        db.session.execute(slow).scalar()
    assert db.session.execute(sa.text("SELECT 1")).scalar() == 1
    with table_query.time_limit(5000):
        assert db.session.execute(sa.text("SELECT 2")).scalar() == 2


def test_the_ranking_of_workers_opens_a_workers_visits(client, auth, visited):
    auth.login("official_a")
    page = client.get(f"/coverage/610923100/workers?round={visited['round']}").get_data(as_text=True)
    link = re.search(rf'href="([^"]+)" data-worker-visits="{visited["worker_c"]}"', page).group(1)
    assert link.startswith("/visits/table?") and f"worker={visited['worker_c']}" in link
    table_page = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert len(rows(table_page)) == 1 and "陈网格员" in table_page
    auth.logout()
    auth.login("worker_a")
    assert "data-worker-visits" not in client.get("/coverage/610923100001001/workers").get_data(as_text=True)


def test_the_map_colours_each_visit_and_draws_a_line_to_its_household(client, auth, visited):
    auth.login("official_a")
    frame = client.get("/visits/table/map")
    html = frame.get_data(as_text=True)
    assert frame.status_code == 200 and frame.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in frame.headers["Content-Security-Policy"]
    for colour in ("#2e7d32", "#c62828", "#9e9e9e", "#fff3cd"):
        assert colour in html
    assert html.count('"LineString"') == 1  # from the red fix; the other fixes sit on the door
    assert "定位粗略" in html and re.search(r'class="note">[^<]*\b7\b', html)
    nonce = re.search(r'<script nonce="([^"]+)">', html).group(1)
    assert html.count("<script") == html.count(f'<script nonce="{nonce}">') + html.count("<script src=")
    page = get(client).get_data(as_text=True)
    assert 'src="/visits/table/map' in page and "iframe" in page


def test_the_map_shows_markup_in_door_labels_and_notes_as_text(client, auth, visited):
    auth.login("admin")
    html = client.get("/visits/table/map").get_data(as_text=True)
    assert "<img" not in html and "test-secret" not in html and "{{ config" not in html
    assert "config.SECRET_KEY" in html and "onerror" in html  # shown, as text


def test_the_map_says_when_it_is_capped(client, auth, visited, monkeypatch):
    monkeypatch.setattr(table, "MAP_CAP", 2)
    auth.login("official_a")
    html = client.get("/visits/table/map").get_data(as_text=True)
    assert re.search(r'class="note">[^<]*\b2\b', html)


def test_export_holds_the_filtered_visits_with_chinese_headers(client, auth, visited):
    auth.login("official_a")
    response = client.get("/visits/table/export.xlsx", query_string={"flagged": "1"})
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "走访时间" in sheet and "网格员" in sheet and "定位" in sheet
    flagged = [i for i, (o, g, fast, trusted) in visited["ids"].items()
               if (fast or not trusted or g in ("red", "grey")) and i != visited["visit_b"]]
    assert len(flagged) == 5 and sheet.count("<row ") == 1 + len(flagged)


@pytest.mark.parametrize("order", [None, "desc"])
def test_signals_sorted_by_gps_class_over_the_county_are_every_signalled_visit_in_class_order(
        app, client, auth, visited, order):
    """Over a wide area the GPS classes that are no signal themselves are read through the rare
    signals' own indexes: the rows must still be exactly the signalled visits, each class newest first."""
    auth.login("admin")
    ids = rows(get(client, flagged="1", sort="geo", **({"order": order} if order else {})).get_data(as_text=True))
    expected = {i for i, (_o, geo, fast, trusted) in visited["ids"].items()
                if fast or geo in ("red", "grey") or not trusted}
    assert set(ids) == expected and len(ids) == len(expected) == 5
    with app.app_context():
        seen = [(db.session.get(Visit, i).geo, db.session.get(Visit, i).visited_at) for i in ids]
    ranks = [g.value for g in table_query.GEO_ORDER][::-1 if order else 1]
    assert seen == sorted(seen, key=lambda s: (ranks.index(s[0].value), -s[1].timestamp()))


def test_an_official_filters_the_table_in_chromium_and_a_ranking_name_opens_the_workers_visits(
        app, live_server, browser, visited):
    """As a user works it: a GPS class and the signal box, then a worker picked by the pinyin initials
    of their name, then the worker ranking's name link, each narrowing the rows to what it says."""
    from .browser import log_in

    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    log_in(page, live_server, "official_a")
    page.goto(f"{live_server}/visits/table")
    shown = lambda: {int(n) for n in page.locator("tr[data-visit]").evaluate_all(  # noqa: E731
        "rows => rows.map(r => r.dataset.visit)")}
    assert len(shown()) == 7
    page.select_option("#f-geo", "red")
    page.click("#visit-filters [type=submit]")
    page.wait_for_load_state("load")
    assert shown() == {i for i, (_o, g, _f, _t) in visited["ids"].items() if g == "red"}
    page.select_option("#f-geo", "")
    page.check("#f-flagged")
    page.click("#visit-filters [type=submit]")
    page.wait_for_load_state("load")
    signalled = {i for i, (_o, g, f, t) in visited["ids"].items() if f or g in ("red", "grey") or not t}
    assert shown() == signalled - {visited["visit_b"]}
    page.uncheck("#f-flagged")
    page.locator("#f-worker-ts-control").focus()
    page.keyboard.type("cwgy")  # 陈网格员
    page.locator(".ts-dropdown .option", has_text="陈网格员").click()
    page.click("#visit-filters [type=submit]")
    page.wait_for_load_state("load")
    with app.app_context():
        by_c = set(db.session.scalars(sa.select(Visit.id).where(Visit.worker_id == visited["worker_c"])))
    assert shown() == by_c and "worker=" in page.url
    page.goto(f"{live_server}/coverage/610923100/workers?round={visited['round']}")
    page.get_by_role("link", name="李网格员").first.click()
    page.wait_for_load_state("load")
    with app.app_context():
        by_a = set(db.session.scalars(sa.select(Visit.id).where(Visit.worker_id == visited["worker_a"])))
    assert "/visits/table" in page.url and shown() == by_a
    ctx.close()
