"""Visits whose time and place can be trusted, and refusals a worker can mend: the server's clock
on every answer, the phone's clock kept beside the corrected time, a time in the future kept in doubt
rather than refused, coarse GPS fixes judged by their whole circle, and refusals that say what to do."""
import io
import random
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from campaign.areas.models import Area
from campaign.coverage.services import area_figures
from campaign.extensions import db
from campaign.households.models import Household
from campaign.visits import honesty
from campaign.visits.models import GeoCheck, GridTally, RoundHousehold, Visit, WorkerTally
from campaign.visits.rebuild import rebuild_round
from campaign.visits.services import record_visits

from . import factories, visiting


@pytest.fixture
def world(ctx):
    c = factories.small_county()
    c.round = factories.RoundFactory(area=c.root)
    for i, household in enumerate(c.households_a):  # 60 m apart along a street
        household.lat, household.lon = 33.3, 108.3 + i * 0.00065
    db.session.flush()
    return c


@pytest.fixture
def api_county(app):
    with app.app_context():
        c = factories.small_county()
        c.round = factories.RoundFactory(area=c.root)
        db.session.commit()
        return factories.snapshot(c)


def post(client, *items):
    return client.post("/api/v1/visits", json={"visits": list(items)})


def stored(uuid: str) -> Visit:
    return db.session.scalar(sa.select(Visit).where(Visit.uuid == uuid))


def figures(c):
    return area_figures(c.round.id, c.town_a)


# --- the server's marks ---------------------------------------------------------------------------

def test_every_answer_says_it_comes_from_the_app(client, api_county):
    for path in ("/login", "/static/css/app.css", "/no/such/page", "/api/v1/openapi.json", "/api/v1/session"):
        assert client.get(path).headers.get("X-Wuzha-App") == "1", path


def test_api_answers_carry_the_server_clock(client, auth, api_county):
    before = int(datetime.now(UTC).timestamp() * 1000)
    for path in ("/api/v1/openapi.json", "/api/v1/session", "/api/v1/no-such-thing"):  # 401s included
        assert int(client.get(path).headers["X-Server-Time"]) >= before, path
    auth.login("worker_a")
    response = client.get("/api/v1/session")
    after = int(datetime.now(UTC).timestamp() * 1000)
    assert before <= response.get_json()["server_time"] <= after
    assert before <= int(response.headers["X-Server-Time"]) <= after
    assert response.headers["Cache-Control"] == "no-store"
    assert "X-Server-Time" not in client.get("/login").headers


# --- the phone's clock ----------------------------------------------------------------------------

def test_the_phones_clock_and_its_offset_are_kept(world):
    phone_time = (visiting.BASE - timedelta(minutes=7)).isoformat()
    item = visiting.visit(world.households_a[0], world.round.id, phone_time=phone_time, clock_offset_ms=420_000)
    result = record_visits(worker=world.worker_a, items=[item])[0]
    assert (result.status, result.time_trusted) == ("created", True)
    visit = stored(item["uuid"])
    assert visit.phone_time == visiting.BASE - timedelta(minutes=7)
    assert visit.visited_at == visiting.BASE and visit.clock_offset_ms == 420_000
    assert visit.time_trusted and not visit.flagged


def test_a_visit_without_the_new_fields_is_still_the_same_visit_when_sent_again(world):
    """A phone that queued a visit before the update sends it again: a duplicate, not a conflict."""
    item = visiting.visit(world.households_a[0], world.round.id)
    record_visits(worker=world.worker_a, items=[item])
    again = record_visits(worker=world.worker_a, items=[{**item, "time_trusted": True, "phone_time": None}])[0]
    assert again.status == "duplicate"


@pytest.mark.parametrize("change, detail", [
    ({"clock_offset_ms": 10**13}, "clock_offset_ms"),
    ({"clock_offset_ms": 1.5}, "clock_offset_ms"),
    ({"time_trusted": "no"}, "time_trusted"),
    ({"phone_time": "2026-01-01T10:00:00"}, "phone_time"),
    ({"phone_time": "1066-10-14T09:00:00+00:00"}, "phone_time"),
    ({"visited_at": "2101-01-01T00:00:00+08:00"}, "between the years"),
])
def test_clock_fields_are_checked(world, change, detail):
    item = {**visiting.visit(world.households_a[0], world.round.id), **change}
    result = record_visits(worker=world.worker_a, items=[item])[0]
    assert (result.status, result.code, result.mendable) == ("rejected", "invalid", False)
    assert detail in str(result.reason)


def test_a_future_time_is_stored_at_the_receive_time_and_flagged(world):
    sent = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    item = visiting.visit(world.households_a[0], world.round.id, visited_at=sent.isoformat())
    before = datetime.now(UTC)
    result = record_visits(worker=world.worker_a, items=[item])[0]
    assert (result.status, result.time_trusted) == ("created", False)
    visit = stored(item["uuid"])
    assert before - timedelta(seconds=1) <= visit.visited_at <= datetime.now(UTC)
    assert visit.phone_time == sent and not visit.time_trusted and visit.flagged
    f = figures(world)
    assert (f.visits, f.flagged, f.untrusted_time, f.reached) == (1, 1, 1, 1)
    assert record_visits(worker=world.worker_a, items=[item])[0].status == "duplicate"


def test_a_future_time_keeps_the_phone_time_it_was_sent_with(world):
    sent = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    item = visiting.visit(world.households_a[0], world.round.id, visited_at=sent.isoformat(),
                          phone_time=(sent + timedelta(hours=1)).isoformat(), clock_offset_ms=-3_600_000)
    record_visits(worker=world.worker_a, items=[item])
    visit = stored(item["uuid"])
    assert visit.phone_time == sent + timedelta(hours=1) and visit.clock_offset_ms == -3_600_000


def test_a_little_clock_skew_is_not_the_future(world):
    soon = datetime.now(UTC) + timedelta(minutes=3)
    item = visiting.visit(world.households_a[0], world.round.id, visited_at=soon.isoformat())
    assert record_visits(worker=world.worker_a, items=[item])[0].time_trusted is True


def test_a_time_the_phone_cannot_vouch_for_is_kept_but_flagged(world):
    h = world.households_a
    results = record_visits(worker=world.worker_a, items=[
        visiting.visit(h[0], world.round.id, minutes=0),
        visiting.visit(h[1], world.round.id, minutes=0.1, time_trusted=False)])
    assert [r.time_trusted for r in results] == [True, False]
    assert [r.too_fast for r in results] == [False, False]  # an untrusted time says nothing about walking speed
    visit = stored(results[1].uuid)
    assert visit.visited_at == visiting.BASE + timedelta(minutes=0.1) and visit.flagged
    assert (figures(world).untrusted_time, figures(world).flagged) == (1, 1)


def test_a_future_visit_sent_as_a_burst_is_not_too_fast(world):
    sent = datetime.now(UTC) + timedelta(days=1)
    items = [visiting.visit(h, world.round.id, visited_at=(sent + timedelta(seconds=i)).isoformat())
             for i, h in enumerate(world.households_a[:3])]
    results = record_visits(worker=world.worker_a, items=items)
    assert [r.too_fast for r in results] == [False] * 3
    assert figures(world).too_fast == 0


# --- coarse GPS fixes -----------------------------------------------------------------------------

@pytest.mark.parametrize("metres, accuracy, geo", [
    (50, None, "green"), (100, None, "green"), (101, None, "amber"), (300, None, "amber"), (301, None, "red"),
    (90, 100, "green"), (250, 100, "amber"), (350, 100, "red"),          # fine fixes: by distance, as ever
    (0, 101, "amber"), (150, 150, "amber"), (151, 150, "coarse"),          # the whole circle within 300 m
    (450, 150, "coarse"), (451, 150, "red"), (0, 500, "coarse"),           # red only if all of it is beyond
    (801, 500, "red"), (800, 500, "coarse"),
])
def test_a_coarse_fix_is_classed_by_its_whole_circle(monkeypatch, metres, accuracy, geo):
    monkeypatch.setattr(honesty, "distance_m", lambda *args: float(metres))
    assert honesty.geo_check((33.3, 108.3), (33.3, 108.3), accuracy) == (GeoCheck(geo), metres)


def test_a_coarse_fix_is_shown_but_not_flagged(world):
    h = world.households_a[0]
    fix = (h.lat + 200 / 111_320, h.lon)                    # 200 m away, ±250 m
    result = record_visits(worker=world.worker_a,
                           items=[visiting.visit(h, world.round.id, gps=fix, accuracy=250.0)])[0]
    assert result.geo == "coarse"
    assert not stored(result.uuid).flagged
    f = figures(world)
    assert (f.coarse_fix, f.flagged, f.far) == (1, 0, 0)


@pytest.mark.parametrize("accuracy, fast", [(10.0, True), (100.0, True), (500.0, False)])
def test_coarse_fixes_never_make_a_visit_too_fast_by_speed(world, accuracy, fast):
    h, r = world.households_a, world.round.id
    record_visits(worker=world.worker_a, items=[visiting.visit(h[0], r, minutes=0)])
    far_away = (33.4, 108.3)                                # 11 km away, two minutes later
    late = record_visits(worker=world.worker_a,
                         items=[visiting.visit(h[1], r, minutes=2, gps=far_away, accuracy=accuracy)])[0]
    assert late.too_fast is fast


def test_coarse_fixes_still_need_time_between_doors(world):
    h, r = world.households_a, world.round.id
    results = record_visits(worker=world.worker_a, items=[
        visiting.visit(h[0], r, minutes=0, accuracy=800.0), visiting.visit(h[1], r, minutes=0.1, accuracy=800.0)])
    assert [x.too_fast for x in results] == [True, True]


# --- refusals that say what to do -----------------------------------------------------------------

def refusals(c) -> dict[str, dict]:
    """One item of every kind a worker's phone can meet, keyed by the code it should get."""
    before = c.round.starts_on - timedelta(days=2)
    return {
        "invalid": {**visiting.visit(c.households_a[0], c.round.id), "outcome": "maybe"},
        "household_unknown": visiting.visit(c.households_b[0], c.round.id),
        "round_unknown": visiting.visit(c.households_a[0], 999_999),
        "outside_round": visiting.visit(c.households_a[1], c.round.id,
                                        visited_at=f"{before.isoformat()}T10:00:00+08:00"),
    }


CHINESE = {
    "invalid": "格式有误，无法保存：outcome",
    "household_unknown": "请为这条走访另选住户",
    "round_mismatch": "不包括该住户",
    "outside_round": "请更正时间后重新提交",
    "round_unknown": "已不存在",
    "conflict": "以已保存的为准",
}


def test_each_refusal_has_a_code_a_mendable_flag_and_a_chinese_reason(app, client, auth, api_county):
    c = api_county
    with app.app_context():
        foreign = factories.RoundFactory(area=factories.AreaFactory(code="610924", name="紫阳县"))
        db.session.commit()
        foreign_id = foreign.id
    auth.login("worker_a")
    items = refusals(c)
    items["round_mismatch"] = visiting.visit(c.households_a[2], foreign_id)
    response = post(client, *items.values())
    assert response.status_code == 400
    results = dict(zip(items, response.get_json()["results"], strict=True))
    for code, result in results.items():
        assert (result["status"], result["code"]) == ("rejected", code)
        assert result["mendable"] is (code in {"household_unknown", "round_mismatch", "outside_round"})
        assert CHINESE[code] in result["reason"], code
    assert results["outside_round"]["round"] == {"id": c.round.id, "starts_on": c.round.starts_on.isoformat(),
                                                 "ends_on": c.round.ends_on.isoformat()}
    good = visiting.visit(c.households_a[0], c.round.id)
    post(client, good)
    conflict = post(client, {**good, "materials": 4}).get_json()["results"][0]
    assert (conflict["status"], conflict["code"]) == ("conflict", "conflict") and "mendable" not in conflict
    assert CHINESE["conflict"] in conflict["reason"]


def test_refusals_speak_the_language_the_person_chose(client, auth, api_county):
    auth.login("worker_a")
    with client.session_transaction() as session:
        session["locale"] = "en"
    result = post(client, refusals(api_county)["household_unknown"]).get_json()["results"][0]
    assert "Choose another household" in result["reason"]


def test_a_mended_visit_is_sent_again_under_the_same_uuid(client, auth, api_county, app):
    c = api_county
    auth.login("worker_a")
    items = refusals(c)
    late, stray = items["outside_round"], items["household_unknown"]
    assert post(client, late, stray).status_code == 400
    mended = [{**late, "visited_at": visiting.BASE.isoformat()}, {**stray, "household_id": c.households_a[2].id}]
    response = post(client, *mended)
    assert response.status_code == 200
    assert [r["status"] for r in response.get_json()["results"]] == ["created", "created"]
    with app.app_context():
        assert stored(late["uuid"]).visited_at == visiting.BASE


def test_a_visit_far_in_the_future_is_created_through_the_api(client, auth, api_county):
    auth.login("worker_a")
    item = {**visiting.visit(api_county.households_a[0], api_county.round.id),
            "visited_at": "2099-01-01T00:00:00+08:00"}
    response = post(client, item)
    assert response.status_code == 200
    result = response.get_json()["results"][0]
    assert (result["status"], result["time_trusted"]) == ("created", False)


# --- officials see it -----------------------------------------------------------------------------

def test_officials_see_a_doubtful_time_with_the_phones_clock(app, client, auth, api_county):
    c = api_county
    sent = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    with app.app_context():
        worker = db.session.get(factories.User, c.worker_a.id)
        h = [db.session.get(Household, x.id) for x in c.households_a[:2]]
        record_visits(worker=worker, items=[
            visiting.visit(h[0], c.round.id, visited_at=sent.isoformat(), clock_offset_ms=-60_000),
            visiting.visit(h[1], c.round.id, minutes=30, gps=(h[1].lat + 200 / 111_320, h[1].lon),
                           accuracy=250.0)])
        db.session.commit()
    auth.login("official_a")
    with client.session_transaction() as session:
        session["locale"] = "en"
    page = client.get(f"/coverage/{c.town_a.code}/visits?round={c.round.id}").get_data(as_text=True)
    assert "time in doubt" in page and 'data-clock="doubtful"' in page
    assert "The phone's clock said" in page and "ran 1 minute ahead of the server" in page
    assert "coarse GPS fix" in page and "geo-coarse" in page
    flagged = client.get(f"/coverage/{c.town_a.code}/visits?round={c.round.id}&flagged=1").get_data(as_text=True)
    assert "time in doubt" in flagged and "geo-coarse" not in flagged
    sheet = load_workbook(io.BytesIO(client.get(f"/coverage/{c.town_a.code}/visits/export.xlsx?round={c.round.id}")
                                     .data), read_only=True).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    start = next(n for n, row in enumerate(rows) if "时间存疑" in row)
    header = rows[start]
    doubtful = next(row for row in rows[start + 1:] if row[header.index("时间存疑")])
    assert doubtful[header.index("手机时钟偏差(秒，正数为慢)")] == -60
    assert doubtful[header.index("手机时间")] is not None


# --- the tallies stay exact -----------------------------------------------------------------------

def tallies(round_id):
    grids = [tuple(getattr(g, col.key) for col in GridTally.__table__.columns) for g in db.session.scalars(
        sa.select(GridTally).where(GridTally.round_id == round_id).order_by(GridTally.grid_id))]
    states = db.session.execute(sa.select(RoundHousehold.household_id, RoundHousehold.status, RoundHousehold.visits)
                                .where(RoundHousehold.round_id == round_id)
                                .order_by(RoundHousehold.household_id)).all()
    workers = db.session.execute(sa.select(WorkerTally.worker_id, WorkerTally.visits, WorkerTally.reached,
                                           WorkerTally.flagged).order_by(WorkerTally.worker_id)).all()
    return [row for row in grids if any(row[2:])], states, workers


def test_tallies_with_doubtful_times_and_coarse_fixes_equal_a_rebuild(world):
    rng = random.Random(14)
    grid = world.grid_a1
    for _ in range(15):
        factories.HouseholdFactory(grid=grid, lat=33.3 + rng.random() / 500, lon=108.3 + rng.random() / 500)
    households = list(db.session.scalars(sa.select(Household).join(Area).where(Area.code == grid.code)))
    future = datetime.now(UTC) + timedelta(days=1)
    items = []
    for minute in range(100):
        outcome = rng.choice(["reached", "not_home", "refused", "vacant"])
        extra = rng.choice([{}, {}, {"time_trusted": False}, {"visited_at": (future + timedelta(minutes=minute))
                                                                           .isoformat()}])
        items.append(visiting.visit(rng.choice(households), world.round.id, outcome=outcome, minutes=minute * 0.7,
                                    gps=rng.choice(["home", None, (33.303, 108.303)]),
                                    accuracy=rng.choice([10.0, 150.0, 400.0]), **extra))
    rng.shuffle(items)
    while items:
        size = rng.randint(1, 12)
        record_visits(worker=world.worker_a, items=items[:size])
        items = items[size:]
    db.session.commit()
    incremental = tallies(world.round.id)
    grid_row = dict(zip([col.key for col in GridTally.__table__.columns], incremental[0][0], strict=True))
    assert grid_row["untrusted_time"] and grid_row["coarse_fix"] and grid_row["flagged"]
    rebuild_round(world.round.id)
    db.session.commit()
    assert tallies(world.round.id) == incremental
    flagged = db.session.scalar(sa.select(sa.func.count()).select_from(Visit).where(Visit.flagged))
    assert flagged == sum(v.flagged for v in db.session.scalars(sa.select(Visit))) == grid_row["flagged"]

