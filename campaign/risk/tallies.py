"""The counts behind the risk signals, kept in tallies as visits arrive and rebuilt from the visits.

Per round, worker and grid (``WorkerRiskTally``): visits, visits that reached a household, far, no
fix, too fast, outside 7:00–21:00 county time, and gaps: a visit has a gap when the worker has an
earlier visit in the round, and the gap is short when it is less than ``SHORT_GAP_SECONDS`` after
it. Per round, worker, grid and set of answers (``WorkerAnswerTally``): the visits that reached a
household with those answers.

What is counted:

- Every visit received, a rejected one (已作废, campaign/review) too: the signals describe what the
  worker logged, and a visit struck out in review is still something they logged. So a review
  changes none of these counts.
- "Earlier" is in the order of the visit times, ties by record id: the order the rebuild reads.
  A visit that arrives late, between two visits already recorded, changes the gap of the visit
  after it. Ingest handles that exactly: it reads the worker's visit just before the earliest new
  one and every visit after it (none, when the phone sends in order, as it does), takes back the
  gaps those had and adds the gaps of the merged sequence. The worker's tally row for the round is
  held (PostgreSQL) while that is read, so two batches of one worker do not interleave.
- Each visit counts in the grid of its household when it arrives, as the grid tallies do; the
  rebuild takes the household's grid now (a household moved since moves its visits' counts).
- Times and digests are computed in Python on both paths, so ingest equals a rebuild to the count.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from campaign.core.clock import zone
from campaign.core.upsert import dialect_insert, is_postgres
from campaign.extensions import db
from campaign.households.models import Household
from campaign.visits.models import GeoCheck, Outcome, Visit, WorkerAnswerTally, WorkerRiskTally, WorkerTally

from .signals import DAY_ENDS, DAY_STARTS, SHORT_GAP_SECONDS

SHORT_GAP = timedelta(seconds=SHORT_GAP_SECONDS)
COUNTS = ("visits", "reached", "far", "no_fix", "too_fast", "outside_hours", "gaps", "short_gaps")


def answers_digest(people_briefed: int, app_installs: int, note: str) -> int:
    """A signed 64-bit digest of a set of answers, equal for equal answers."""
    text = f"{int(people_briefed)}\x1f{int(app_installs)}\x1f{note or ''}".encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big", signed=True)


def outside_hours(at: datetime, tz=None) -> bool:
    hour = at.astimezone(tz or zone()).hour
    return hour < DAY_STARTS or hour >= DAY_ENDS


@dataclass(frozen=True)
class Point:
    """A visit as the gap count sees it: its place in the worker's order and the grid it counts in."""

    at: datetime
    id: int
    grid_id: int

    @property
    def key(self) -> tuple[datetime, int]:
        return (self.at, self.id)


def _gap_counts(previous: Point | None, sequence: Iterable[Point], sign: int,
                delta: dict[int, dict[str, int]]) -> None:
    """Add (sign +1) or take back (-1) the gaps of ``sequence``, each against the one before it."""
    for point in sequence:
        if previous is not None:
            delta[point.grid_id]["gaps"] += sign
            delta[point.grid_id]["short_gaps"] += sign * (point.at - previous.at < SHORT_GAP)
        previous = point


def _visit_counts(visit: Visit, grid_id: int, tz, counts: dict, answers: dict) -> None:
    mine = counts[grid_id]
    mine["visits"] += 1
    mine["reached"] += visit.outcome is Outcome.REACHED
    mine["far"] += visit.geo is GeoCheck.RED
    mine["no_fix"] += visit.geo is GeoCheck.GREY
    mine["too_fast"] += bool(visit.too_fast)
    mine["outside_hours"] += outside_hours(visit.visited_at, tz)
    if visit.outcome is Outcome.REACHED:
        answers[(answers_digest(visit.people_briefed, visit.app_installs, visit.note), grid_id)] += 1


def _hold_worker(round_id: int, worker_id: int) -> None:
    """Hold the worker's tally row for the round (PostgreSQL), created if need be: batches of one
    worker in one round take their turns here. Taken after the grids' rows, as ingest and review do."""
    db.session.execute(dialect_insert(WorkerTally.__table__)
                       .values(round_id=round_id, worker_id=worker_id, visits=0, reached=0, flagged=0)
                       .on_conflict_do_nothing())
    if is_postgres():
        db.session.execute(sa.select(WorkerTally.worker_id).where(
            WorkerTally.round_id == round_id, WorkerTally.worker_id == worker_id).with_for_update())


def _after(key: tuple[datetime, int]):
    return sa.or_(Visit.visited_at > key[0], sa.and_(Visit.visited_at == key[0], Visit.id > key[1]))


def _before(key: tuple[datetime, int]):
    return sa.or_(Visit.visited_at < key[0], sa.and_(Visit.visited_at == key[0], Visit.id < key[1]))


def fold_visits(worker_id: int, visits: list[Visit], grid_of: dict[int, int]) -> None:
    """Count a worker's new visits (flushed, so they have ids) into the risk tallies. Never commits."""
    tz = zone()
    for round_id in sorted({v.round_id for v in visits}):
        mine = [v for v in visits if v.round_id == round_id]
        _hold_worker(round_id, worker_id)
        counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        answers: dict[tuple[int, int], int] = defaultdict(int)
        for visit in mine:
            _visit_counts(visit, grid_of[visit.household_id], tz, counts, answers)
        new = sorted((Point(v.visited_at, v.id, grid_of[v.household_id]) for v in mine), key=lambda p: p.key)
        new_ids = [p.id for p in new]
        first = new[0].key
        older = (sa.select(Visit.visited_at, Visit.id, Household.grid_id)
                 .join(Household, Household.id == Visit.household_id)
                 .where(Visit.worker_id == worker_id, Visit.round_id == round_id, Visit.id.notin_(new_ids)))
        row = db.session.execute(older.where(_before(first))
                                 .order_by(Visit.visited_at.desc(), Visit.id.desc()).limit(1)).first()
        previous = Point(*row) if row else None
        tail = [Point(*r) for r in db.session.execute(older.where(_after(first))
                                                      .order_by(Visit.visited_at, Visit.id))]
        _gap_counts(previous, tail, -1, counts)
        _gap_counts(previous, sorted(tail + new, key=lambda p: p.key), +1, counts)
        _apply(round_id, worker_id, counts, answers)


def _apply(round_id: int, worker_id: int, counts: dict, answers: dict) -> None:
    """Add the deltas to the tallies (``x = x + d``), creating rows as needed."""
    table = WorkerRiskTally.__table__
    for grid_id, changes in sorted(counts.items()):
        values = {name: int(changes.get(name, 0)) for name in COUNTS}
        insert = dialect_insert(table).values(round_id=round_id, worker_id=worker_id, grid_id=grid_id, **values)
        db.session.execute(insert.on_conflict_do_update(
            index_elements=["round_id", "worker_id", "grid_id"],
            set_={name: table.c[name] + insert.excluded[name] for name in COUNTS if values[name]}
            or {"visits": table.c.visits}))
    table = WorkerAnswerTally.__table__
    for (digest, grid_id), n in sorted(answers.items()):
        insert = dialect_insert(table).values(round_id=round_id, worker_id=worker_id, answers=digest,
                                              grid_id=grid_id, visits=n)
        db.session.execute(insert.on_conflict_do_update(
            index_elements=["round_id", "worker_id", "answers", "grid_id"],
            set_={"visits": table.c.visits + insert.excluded.visits}))


def rebuild_round(round_id: int) -> None:
    """Recount the round's risk tallies from its visits, in one ordered pass (the caller has deleted
    nothing: this deletes and inserts the round's rows)."""
    for model in (WorkerRiskTally, WorkerAnswerTally):
        db.session.execute(sa.delete(model).where(model.round_id == round_id))
    tz = zone()
    counts: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    answers: dict[tuple[int, int, int], int] = defaultdict(int)
    rows = db.session.execute(
        sa.select(Visit.worker_id, Household.grid_id, Visit.visited_at, Visit.outcome, Visit.geo, Visit.too_fast,
                  Visit.people_briefed, Visit.app_installs, Visit.note)
        .join(Household, Household.id == Visit.household_id)
        .where(Visit.round_id == round_id).order_by(Visit.worker_id, Visit.visited_at, Visit.id)
        .execution_options(yield_per=20_000))
    last: tuple[int, datetime] | None = None
    for worker_id, grid_id, at, outcome, geo, too_fast, people, installs, note in rows:
        mine = counts[(worker_id, grid_id)]
        mine["visits"] += 1
        mine["far"] += geo is GeoCheck.RED
        mine["no_fix"] += geo is GeoCheck.GREY
        mine["too_fast"] += bool(too_fast)
        mine["outside_hours"] += outside_hours(at, tz)
        if outcome is Outcome.REACHED:
            mine["reached"] += 1
            answers[(worker_id, answers_digest(people, installs, note), grid_id)] += 1
        if last is not None and last[0] == worker_id:
            mine["gaps"] += 1
            mine["short_gaps"] += at - last[1] < SHORT_GAP
        last = (worker_id, at)
    _insert(WorkerRiskTally, [{"round_id": round_id, "worker_id": w, "grid_id": g, **values}
                              for (w, g), values in counts.items()])
    _insert(WorkerAnswerTally, [{"round_id": round_id, "worker_id": w, "answers": a, "grid_id": g, "visits": n}
                                for (w, a, g), n in answers.items()])


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), 5000):
        db.session.execute(sa.insert(model), rows[start:start + 5000])
