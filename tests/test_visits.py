"""Recording visits: idempotent on the phone's UUID, checked item by item, counted exactly once,
and marked when they look doubtful."""
import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from campaign.areas.models import Area
from campaign.coverage.services import area_figures
from campaign.extensions import db
from campaign.households.models import Household
from campaign.visits.models import GridTally, Outcome, RoundHousehold, Visit, WorkerTally
from campaign.visits.rebuild import rebuild_round
from campaign.visits.services import next_status, record_visits

from . import factories, visiting

R, N, F, V = Outcome.REACHED, Outcome.NOT_HOME, Outcome.REFUSED, Outcome.VACANT


@pytest.fixture
def world(ctx):
    c = factories.small_county()
    c.round = factories.RoundFactory(area=c.root)
    # spread grid A1's households 60 m apart along a street
    for i, household in enumerate(c.households_a):
        household.lat, household.lon = 33.3, 108.3 + i * 0.00065
    db.session.flush()
    return c


def statuses(results):
    return [r.status for r in results]


def figures(c, area=None):
    return area_figures(c.round.id, area or c.town_a)


@pytest.mark.parametrize("old, new, newer, expected", [
    (None, N, True, N), (N, R, True, R), (R, N, True, R), (N, F, True, F), (F, N, False, F),
    (N, V, True, V), (V, R, False, R), (R, V, True, R), (N, N, True, N),
])
def test_status_rules(old, new, newer, expected):
    assert next_status(old, 1, new, 2 if newer else 0) is expected


def test_a_visit_is_created_and_counted(world):
    results = record_visits(worker=world.worker_a, items=[visiting.visit(world.households_a[0], world.round.id)])
    assert statuses(results) == ["created"]
    f = figures(world)
    assert (f.reached, f.in_scope, f.visits, f.people_briefed) == (1, 4, 1, 2)


def test_the_same_visit_twice_counts_once(world):
    item = visiting.visit(world.households_a[0], world.round.id)
    record_visits(worker=world.worker_a, items=[item])
    again = record_visits(worker=world.worker_a, items=[item, dict(item)])
    assert statuses(again) == ["duplicate", "duplicate"]
    assert again[0].visit_id is not None
    assert figures(world).visits == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 1


def test_same_uuid_with_other_content_is_a_conflict(world):
    item = visiting.visit(world.households_a[0], world.round.id)
    record_visits(worker=world.worker_a, items=[item])
    changed = {**item, "note": "改过"}
    result = record_visits(worker=world.worker_a, items=[changed])[0]
    assert (result.status, result.code) == ("conflict", "conflict") and result.reason
    assert db.session.scalar(sa.select(Visit.note)) == ""


def test_same_uuid_twice_in_one_batch(world):
    item = visiting.visit(world.households_a[0], world.round.id)
    results = record_visits(worker=world.worker_a, items=[item, item, {**item, "materials": 3}])
    assert statuses(results) == ["created", "duplicate", "conflict"]


@pytest.mark.parametrize("change, code, detail", [
    ({"household_id": 999999}, "household_unknown", None),
    ({"round_id": 999999}, "round_unknown", None),
    ({"outcome": "maybe"}, "invalid", "outcome"),
    ({"people_briefed": "3"}, "invalid", "people_briefed"),
    ({"people_briefed": -1}, "invalid", "people_briefed"),
    ({"uuid": "not-a-uuid"}, "invalid", "uuid"),
    ({"visited_at": "2026-01-01T10:00:00"}, "invalid", "timezone"),
    ({"visited_at": 1700000000}, "invalid", "ISO 8601"),
    ({"gps": {"lat": 95, "lon": 108}}, "invalid", "gps.lat"),
    ({"gps": {"lat": "33", "lon": 108}}, "invalid", "gps.lat"),
    ({"colour": "red"}, "invalid", "colour"),
    ({"outcome": "not_home", "people_briefed": 2}, "invalid", "must be 0"),
    ({"people_briefed": 1, "app_installs": 2}, "invalid", "cannot exceed"),
    ({"risk_flags": ["elderly_alone", "elderly_alone"]}, "invalid", "twice"),
])
def test_bad_items_are_rejected_with_a_reason_and_change_nothing(world, change, code, detail):
    item = {**visiting.visit(world.households_a[0], world.round.id), **change}
    result = record_visits(worker=world.worker_a, items=[item])[0]
    assert (result.status, result.code) == ("rejected", code) and str(result.reason)
    assert detail is None or detail in str(result.reason)  # the technical detail of a malformed item
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 0


def test_out_of_round_times_are_rejected_and_future_ones_kept_in_doubt(world):
    future = visiting.visit(world.households_a[0], world.round.id, minutes=60 * 24)
    before = visiting.visit(world.households_a[1], world.round.id, minutes=-60 * 24 * 40)
    results = record_visits(worker=world.worker_a, items=[future, before])
    assert (results[0].status, results[0].time_trusted) == ("created", False)
    assert (results[1].code, results[1].mendable) == ("outside_round", True)


def test_a_worker_cannot_log_outside_their_grids(world):
    for household in (world.households_a[3], world.households_b[0]):  # grid A2, township B
        result = record_visits(worker=world.worker_a, items=[visiting.visit(household, world.round.id)])[0]
        assert (result.status, result.code) == ("rejected", "household_unknown")


def test_a_round_of_another_county_does_not_cover_the_household(world):
    other = factories.AreaFactory(code="610924", name="紫阳县")
    foreign = factories.RoundFactory(area=other)
    result = record_visits(worker=world.worker_a, items=[visiting.visit(world.households_a[0], foreign.id)])[0]
    assert result.code == "round_mismatch"


def test_good_items_count_even_when_others_in_the_batch_are_bad(world):
    good = visiting.visit(world.households_a[0], world.round.id)
    bad = visiting.visit(world.households_b[0], world.round.id, minutes=5)
    assert statuses(record_visits(worker=world.worker_a, items=[good, bad])) == ["created", "rejected"]
    assert figures(world).reached == 1


def test_coverage_follows_the_household_status(world):
    h = world.households_a
    r = world.round.id
    record_visits(worker=world.worker_a, items=[
        visiting.visit(h[0], r, outcome="not_home", minutes=0),
        visiting.visit(h[1], r, outcome="refused", minutes=5),
        visiting.visit(h[2], r, outcome="vacant", minutes=10),
    ])
    f = figures(world)
    assert (f.reached, f.not_home, f.refused, f.vacant, f.in_scope, f.never_visited) == (0, 1, 1, 1, 3, 1)
    record_visits(worker=world.worker_a, items=[visiting.visit(h[0], r, minutes=60, people=3, installs=2)])
    f = figures(world)
    assert (f.reached, f.not_home, f.coverage) == (1, 0, 1 / 3)
    record_visits(worker=world.worker_a, items=[visiting.visit(h[0], r, outcome="not_home", minutes=90)])
    assert figures(world).reached == 1  # reached stays reached


def test_revisits_do_not_count_people_twice(world):
    h, r = world.households_a[0], world.round.id
    record_visits(worker=world.worker_a, items=[visiting.visit(h, r, people=3, installs=1, minutes=0)])
    record_visits(worker=world.worker_a, items=[visiting.visit(h, r, people=2, installs=2, minutes=30)])
    f = figures(world)
    assert (f.people_briefed, f.app_installs, f.visits, f.reached) == (3, 2, 2, 1)


def test_figures_roll_up_to_the_county(world):
    record_visits(worker=world.worker_a, items=[visiting.visit(world.households_a[0], world.round.id)])
    record_visits(worker=world.worker_b, items=[visiting.visit(world.households_b[0], world.round.id)])
    county = area_figures(world.round.id, world.root)
    assert (county.reached, county.households) == (2, 6)
    assert area_figures(world.round.id, world.grid_a2).reached == 0


@pytest.mark.parametrize("offset_m, geo", [(50, "green"), (200, "amber"), (500, "red")])
def test_distance_from_the_door_is_classed(world, offset_m, geo):
    h = world.households_a[0]
    fix = (h.lat + offset_m / 111_320, h.lon)
    result = record_visits(worker=world.worker_a, items=[visiting.visit(h, world.round.id, gps=fix)])[0]
    assert result.geo == geo
    visit = db.session.get(Visit, result.visit_id)
    assert visit.distance_m == pytest.approx(offset_m, rel=0.02)


def test_no_fix_is_grey_and_a_household_without_location_is_unknown(world):
    h = world.households_a
    h[1].lat = h[1].lon = None
    results = record_visits(worker=world.worker_a, items=[
        visiting.visit(h[0], world.round.id, gps=None),
        visiting.visit(h[1], world.round.id, minutes=5, gps=(33.3, 108.3))])
    assert [r.geo for r in results] == ["grey", "unknown"]
    f = figures(world)
    assert (f.no_fix, f.far, f.flagged) == (1, 0, 1)


def test_doors_logged_faster_than_walking_are_flagged(world):
    h, r = world.households_a, world.round.id
    results = record_visits(worker=world.worker_a, items=[
        visiting.visit(h[0], r, minutes=0),
        visiting.visit(h[1], r, minutes=0.1),      # 6 s later, next door: flagged
        visiting.visit(h[2], r, minutes=5),        # 5 min later, 60 m on: fine
    ])
    assert [x.too_fast for x in results] == [True, True, False]
    far_away = (33.4, 108.3)                       # 11 km away two minutes later
    late = record_visits(worker=world.worker_a, items=[visiting.visit(h[0], r, minutes=7, gps=far_away)])[0]
    assert late.too_fast and late.geo == "red"
    f = figures(world)
    assert (f.too_fast, f.flagged, f.visits) == (3, 3, 4)


def test_a_late_arriving_visit_is_checked_against_the_later_one(world):
    h, r = world.households_a, world.round.id
    record_visits(worker=world.worker_a, items=[visiting.visit(h[0], r, minutes=10)])
    earlier = record_visits(worker=world.worker_a, items=[visiting.visit(h[1], r, minutes=9.9)])[0]
    assert earlier.too_fast


def test_worker_tally_credits_the_first_to_reach(world):
    h, r = world.households_a[0], world.round.id
    world.worker_a.grids.append(world.grid_a2)
    record_visits(worker=world.worker_a, items=[visiting.visit(h, r, minutes=0)])
    record_visits(worker=world.worker_a, items=[visiting.visit(h, r, minutes=20)])
    tally = db.session.get(WorkerTally, (r, world.worker_a.id))
    assert (tally.visits, tally.reached) == (2, 1)


def tallies(round_id):
    grids = db.session.execute(sa.select(GridTally).where(GridTally.round_id == round_id)
                               .order_by(GridTally.grid_id)).scalars().all()
    states = db.session.execute(sa.select(RoundHousehold.household_id, RoundHousehold.status, RoundHousehold.visits,
                                          RoundHousehold.people_briefed, RoundHousehold.app_installs)
                                .where(RoundHousehold.round_id == round_id).order_by(RoundHousehold.household_id)).all()
    workers = db.session.execute(sa.select(WorkerTally.worker_id, WorkerTally.visits, WorkerTally.reached,
                                           WorkerTally.flagged).order_by(WorkerTally.worker_id)).all()
    grid_rows = [tuple(getattr(g, c.key) for c in GridTally.__table__.columns) for g in grids]
    return [row for row in grid_rows if any(row[2:])], states, workers


def test_incremental_tallies_equal_a_rebuild_from_the_visits(world):
    """Random visits, in random batches and arrival order, give the same figures as recomputing."""
    rng = random.Random(5)
    grid = world.grid_a1
    for _ in range(20):
        factories.HouseholdFactory(grid=grid, lat=33.3 + rng.random() / 500, lon=108.3 + rng.random() / 500)
    households = list(db.session.scalars(sa.select(Household).join(Area).where(Area.code == grid.code)))
    items = []
    for minute in range(120):
        outcome = rng.choice(["reached", "not_home", "not_home", "refused", "vacant"])
        people = rng.randint(0, 4) if outcome == "reached" else 0
        items.append(visiting.visit(rng.choice(households), world.round.id, outcome=outcome, minutes=minute * 0.7,
                                    people=people, installs=rng.randint(0, people),
                                    gps=rng.choice(["home", None, (33.31, 108.31)])))
    rng.shuffle(items)
    while items:
        batch, items = items[:rng.randint(1, 15)], items[rng.randint(1, 15):]
        record_visits(worker=world.worker_a, items=batch)
    db.session.commit()
    incremental = tallies(world.round.id)
    rebuild_round(world.round.id)
    db.session.commit()
    assert tallies(world.round.id) == incremental
    assert incremental[0] and incremental[1]


def test_households_with_visits_are_kept(world):
    from campaign.core.errors import DomainError
    from campaign.households.services import delete_household

    record_visits(worker=world.worker_a, items=[visiting.visit(world.households_a[0], world.round.id)])
    with pytest.raises(DomainError):
        delete_household(world.households_a[0])


def test_rebuild_command(app, runner, world):
    record_visits(worker=world.worker_a, items=[visiting.visit(world.households_a[0], world.round.id)])
    db.session.execute(sa.update(GridTally).values(reached=0))
    db.session.commit()
    result = runner.invoke(args=["rebuild-tallies"])
    assert result.exit_code == 0 and "1 round" in result.output
    db.session.expire_all()
    assert figures(world).reached == 1


def test_visit_time_defaults_are_timezone_aware(world):
    record_visits(worker=world.worker_a, items=[visiting.visit(world.households_a[0], world.round.id)])
    visit = db.session.scalar(sa.select(Visit))
    assert visit.visited_at.tzinfo is not None and visit.received_at - visit.visited_at > timedelta(hours=1)
