"""The risk tallies (campaign/risk/tallies.py) stay exact: after random ingests, with visits arriving
out of order, in duplicate and in conflict, from phones racing each other, they equal a rebuild from
the visits and a count made here from the visits themselves; a late visit between two others changes
its neighbour's gap; a review changes none of them; and the risk list reads the same either way."""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.review.services import review_visits
from campaign.review.states import ReviewState
from campaign.risk import services
from campaign.risk.tallies import SHORT_GAP, answers_digest, outside_hours
from campaign.visits.models import GeoCheck, Outcome, Visit, WorkerAnswerTally, WorkerRiskTally
from campaign.visits.rebuild import rebuild_round
from campaign.visits.services import record_visits

from . import factories, visiting
from .test_visit_races import race

NOTES = ["", "", "已宣传", "老人独居，已留联系卡"]


@pytest.fixture
def world(ctx):
    """worker_a works both grids of village A; worker_c the first one."""
    c = factories.small_county()
    c.round = factories.RoundFactory(area=c.root)
    for i, household in enumerate(c.households_a):
        household.lat, household.lon = 33.3, 108.3 + i * 0.00065
    c.worker_a.grids = [c.grid_a1, c.grid_a2]
    c.worker_c = factories.UserFactory(username="worker_c", grids=[c.grid_a1])
    db.session.commit()
    return c


def risk_tallies(round_id):
    db.session.expire_all()
    return [sorted(tuple(row) for row in db.session.execute(sa.select(*model.__table__.c)
                                                            .where(model.round_id == round_id)))
            for model in (WorkerRiskTally, WorkerAnswerTally)]


def counted_here(round_id):
    """The tallies as this test counts them from the visits, one worker's visits at a time in time order."""
    counts = defaultdict(lambda: defaultdict(int))
    answers = defaultdict(int)
    visits = db.session.scalars(sa.select(Visit).where(Visit.round_id == round_id)).all()
    by_worker = defaultdict(list)
    for visit in visits:
        by_worker[visit.worker_id].append(visit)
    for worker_id, mine in by_worker.items():
        mine.sort(key=lambda v: (v.visited_at, v.id))
        for n, visit in enumerate(mine):
            row = counts[(worker_id, visit.household.grid_id)]
            row["visits"] += 1
            row["reached"] += visit.outcome is Outcome.REACHED
            row["far"] += visit.geo is GeoCheck.RED
            row["no_fix"] += visit.geo is GeoCheck.GREY
            row["too_fast"] += visit.too_fast
            row["outside_hours"] += outside_hours(visit.visited_at)
            if n:
                row["gaps"] += 1
                row["short_gaps"] += visit.visited_at - mine[n - 1].visited_at < SHORT_GAP
            if visit.outcome is Outcome.REACHED:
                answers[(worker_id, answers_digest(visit.people_briefed, visit.app_installs, visit.note),
                         visit.household.grid_id)] += 1
    return counts, answers


def assert_exact(round_id):
    incremental = risk_tallies(round_id)
    counts, answers = counted_here(round_id)
    names = [c.key for c in WorkerRiskTally.__table__.c][3:]
    assert incremental[0] == sorted((round_id, w, g, *[counts[(w, g)][name] for name in names])
                                    for w, g in counts)
    assert incremental[1] == sorted((round_id, w, a, g, n) for (w, a, g), n in answers.items())
    rebuild_round(round_id)
    db.session.commit()
    assert risk_tallies(round_id) == incremental


def random_item(rng, c, homes, minutes):
    home = rng.choice(homes)
    outcome = rng.choice(["reached"] * 5 + ["not_home", "refused", "vacant"])
    extra = {"note": rng.choice(NOTES)} if outcome == "reached" else {}
    if rng.random() < 0.05:
        extra["time_trusted"] = False
    return visiting.visit(home, c.round.id, outcome=outcome, minutes=minutes,
                          people=rng.randint(1, 3) if outcome == "reached" else 0, installs=rng.randint(0, 1),
                          gps=rng.choice(["home", "home", "home", None, (33.32, 108.32)]), **extra)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_ingests_out_of_order_and_in_duplicate_equal_a_rebuild(world, seed):
    rng = random.Random(seed)
    c = world
    planned = {}
    for worker, homes in ((c.worker_a, c.households_a), (c.worker_c, c.households_a[:3])):
        # times over a day and a half back, many of them seconds apart, some exactly a minute apart
        minutes = sorted(rng.choice([-rng.random() * 2000, -rng.randint(0, 60) * 0.75, -rng.randint(0, 30)])
                         for _ in range(70))
        planned[worker.id] = [random_item(rng, c, homes, m) for m in minutes]
    sent = defaultdict(list)
    while any(planned.values()):
        worker = rng.choice([w for w in (c.worker_a, c.worker_c) if planned[w.id]])
        items = planned[worker.id]
        # mostly in order, as a phone sends; now and then a batch from further on, leaving a hole behind
        start = 0 if rng.random() < 0.6 else rng.randrange(len(items))
        batch = items[start:start + rng.randint(1, 8)]
        del items[start:start + len(batch)]
        if sent[worker.id] and rng.random() < 0.3:  # sent again: a duplicate, or another content (a conflict)
            again = dict(rng.choice(sent[worker.id]))
            if rng.random() < 0.5:
                again["note"] = "另一条记录"
            batch.append(again)
        if rng.random() < 0.1:
            batch.append(dict(batch[0]))  # twice in one batch
        rng.shuffle(batch)
        results = record_visits(worker=worker, items=batch)
        assert {r.status for r in results} <= {"created", "duplicate", "conflict"}, [r.as_dict() for r in results]
        sent[worker.id] += batch
        db.session.commit()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Visit))
    assert total == 140
    assert sum(row[3] for row in risk_tallies(c.round.id)[0]) == 140
    short = sum(row[10] for row in risk_tallies(c.round.id)[0])
    assert 0 < short < 138
    before = services.worker_risks(c.round.id, c.root)
    assert_exact(c.round.id)
    after = services.worker_risks(c.round.id, c.root)
    assert [(w.worker_id, w.values, w.score) for w in before.ranked + before.too_few] == \
        [(w.worker_id, w.values, w.score) for w in after.ranked + after.too_few]


def gaps_of(c, worker):
    return db.session.execute(sa.select(sa.func.sum(WorkerRiskTally.gaps), sa.func.sum(WorkerRiskTally.short_gaps))
                              .where(WorkerRiskTally.round_id == c.round.id,
                                     WorkerRiskTally.worker_id == worker.id)).one()


def log(c, worker, home, minutes, **kwargs):
    result = record_visits(worker=worker, items=[visiting.visit(home, c.round.id, minutes=minutes, **kwargs)])[0]
    assert result.status == "created"
    db.session.commit()
    return result.visit_id


def test_a_late_visit_between_two_others_changes_the_gap_of_the_one_after_it(world):
    c, home = world, world.households_a[0]
    log(c, c.worker_a, home, 0)
    log(c, c.worker_a, home, 1.5)  # 90 s: a gap, not short
    assert tuple(gaps_of(c, c.worker_a)) == (1, 0)
    log(c, c.worker_a, home, 0.75)  # arrives last, lies between: 45 s after the first, 45 s before the second
    assert tuple(gaps_of(c, c.worker_a)) == (2, 2)
    log(c, c.worker_a, home, -10)  # before them all: one more gap (10 min), not short
    assert tuple(gaps_of(c, c.worker_a)) == (3, 2)
    log(c, c.worker_a, home, 1.5)  # the same time as another: a gap of 0, after it in record order
    assert tuple(gaps_of(c, c.worker_a)) == (4, 3)
    log(c, c.worker_a, home, 2.5)  # exactly a minute later: not short
    assert tuple(gaps_of(c, c.worker_a)) == (5, 3)
    assert_exact(c.round.id)


def test_a_late_visit_in_another_grid_moves_the_gap_between_grids(world):
    c = world
    a1, a2 = c.households_a[0], c.households_a[3]
    log(c, c.worker_a, a1, 0)
    log(c, c.worker_a, a1, 5)
    log(c, c.worker_a, a2, 4.5)  # the a1 visit at 5 min now follows it by 30 s
    rows = {g: (gaps, short) for g, gaps, short in db.session.execute(
        sa.select(WorkerRiskTally.grid_id, WorkerRiskTally.gaps, WorkerRiskTally.short_gaps)
        .where(WorkerRiskTally.worker_id == c.worker_a.id))}
    assert rows == {c.grid_a1.id: (1, 1), c.grid_a2.id: (1, 0)}
    assert_exact(c.round.id)


def test_a_review_changes_no_risk_tally(world):
    c = world
    ids = [log(c, c.worker_a, c.households_a[i % 4], i * 0.5, gps=None if i % 2 else "home") for i in range(6)]
    before = risk_tallies(c.round.id)
    for state in (ReviewState.REJECTED, ReviewState.HAS_ISSUES, ReviewState.RECEIVED):
        review_visits(visit_ids=ids[:3], state=state, note="核实", user=c.official_a)
        db.session.commit()
        assert risk_tallies(c.round.id) == before
    assert_exact(c.round.id)


def test_identical_answers_are_the_largest_set_summed_over_the_grids(world):
    c = world
    for i in range(12):  # the same answers in both grids, six each; a few others
        log(c, c.worker_a, c.households_a[0 if i % 2 else 3], i * 10, people=2, note="已宣传")
    for i in range(4):
        log(c, c.worker_a, c.households_a[1], 200 + i * 10, people=i + 1)
    risks = services.worker_risks(c.round.id, c.root)
    worker = next(w for w in risks.ranked if w.worker_id == c.worker_a.id)
    assert worker.values["same_answers"] == pytest.approx(12 / 16)
    village = services.worker_risks(c.round.id, c.grid_a2)  # one grid: its own visits only
    assert next(w for w in village.too_few if w.worker_id == c.worker_a.id).visits == 6


@pytest.fixture
def racing_worker(app):
    with app.app_context():
        c = factories.small_county()
        c.round = factories.RoundFactory(area=c.root)
        c.worker_a.grids = [c.grid_a1, c.grid_a2]
        db.session.commit()
        return SimpleNamespace(round=c.round.id, homes=factories.snapshot(c.households_a))


def test_one_workers_batches_raced_from_several_phones_equal_a_rebuild(app, racing_worker):
    """Three sessions of one worker post batches whose times interleave, all at once."""
    c, rng = racing_worker, random.Random(7)
    bodies = []
    for phone in range(3):
        items = [visiting.visit(rng.choice(c.homes), c.round, minutes=-(n * 3 + phone) * 0.4) for n in range(15)]
        bodies.append(("worker_a", {"visits": items}))
    answers = race(app, "/api/v1/visits", bodies)
    assert [code for code, _body in answers] == [200] * 3, answers
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 45
        gaps, short = db.session.execute(sa.select(sa.func.sum(WorkerRiskTally.gaps),
                                                   sa.func.sum(WorkerRiskTally.short_gaps))).one()
        assert (gaps, short) == (44, 44)  # 24 s apart, whichever phone's batch came first
        assert_exact(c.round)
        db.session.commit()


def test_the_rebuild_command_fills_the_risk_tallies(app, runner, world):
    c = world
    for i in range(3):
        log(c, c.worker_a, c.households_a[i], i)
    incremental = risk_tallies(c.round.id)
    for model in (WorkerRiskTally, WorkerAnswerTally):
        db.session.execute(sa.delete(model))
    db.session.commit()
    assert risk_tallies(c.round.id) == [[], []]
    assert "rebuilt" in runner.invoke(args=["rebuild-tallies", "--round", str(c.round.id)]).output
    assert risk_tallies(c.round.id) == incremental
    assert timedelta(seconds=60) == SHORT_GAP
