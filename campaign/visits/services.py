"""Recording visits. Each batch is checked item by item, written once per visit UUID, and folded
into the per-grid and per-worker tallies in the same transaction, so figures are always exact."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import timedelta

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.orm import joinedload

from campaign.accounts.models import User
from campaign.areas.models import Area
from campaign.core.clock import local_date
from campaign.core.upsert import dialect_insert, is_postgres
from campaign.extensions import db
from campaign.households.access import households_query
from campaign.households.models import Household
from campaign.rounds.models import Round

from . import honesty
from .models import GeoCheck, GridTally, Outcome, RoundHousehold, Visit, WorkerTally
from .schemas import VisitIn, explain


@dataclass
class ItemResult:
    uuid: str | None
    status: str  # created | duplicate | conflict | rejected
    reason: str | None = None
    visit_id: int | None = None
    geo: str | None = None
    too_fast: bool | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Accepted:
    index: int
    item: VisitIn
    household: Household
    grid_code: str
    fingerprint: str


def next_status(old: Outcome | None, old_at, new: Outcome, new_at) -> Outcome:
    """Reached stays reached; otherwise the latest visit decides (a tie goes to the newer record)."""
    if old is None or new is Outcome.REACHED:
        return new
    if old is Outcome.REACHED:
        return old
    return new if new_at >= old_at else old


def record_visits(*, worker: User, items: list) -> list[ItemResult]:
    """Check and record a batch of visits from one worker. Never commits."""
    results: list[ItemResult | None] = [None] * len(items)
    accepted = _check_items(worker, items, results)
    fresh = _drop_repeats(accepted, results)
    if fresh:
        _write(worker, fresh, results)
    return results  # type: ignore[return-value]


def _check_items(worker: User, items: list, results: list) -> list[Accepted]:
    parsed: list[tuple[int, VisitIn]] = []
    for index, raw in enumerate(items):
        uuid = raw.get("uuid") if isinstance(raw, dict) and isinstance(raw.get("uuid"), str) else None
        if not isinstance(raw, dict):
            results[index] = ItemResult(None, "rejected", "each visit must be a JSON object")
            continue
        try:
            parsed.append((index, VisitIn.model_validate(raw)))
        except ValidationError as error:
            results[index] = ItemResult(uuid, "rejected", explain(error))
    household_ids = {item.household_id for _, item in parsed}
    households = {
        household.id: (household, code) for household, code in db.session.execute(
            households_query(worker).with_only_columns(Household, Area.code).where(Household.id.in_(household_ids))
        ).all()
    } if household_ids else {}
    rounds = {r.id: r for r in db.session.scalars(
        sa.select(Round).options(joinedload(Round.area))
        .where(Round.id.in_({item.round_id for _, item in parsed})))} if parsed else {}
    accepted = []
    for index, item in parsed:
        uuid = str(item.uuid)
        found = households.get(item.household_id)
        round_ = rounds.get(item.round_id)
        day = local_date(item.visited_at)
        if found is None:
            reason = f"household {item.household_id} is unknown or not in your grids"
        elif round_ is None:
            reason = f"round {item.round_id} is unknown"
        elif not found[1].startswith(round_.area.code):
            reason = f"round {item.round_id} does not cover household {item.household_id}"
        elif not round_.is_open_on(day):
            reason = f"visited_at ({day}) is outside the round ({round_.starts_on} to {round_.ends_on})"
        else:
            accepted.append(Accepted(index, item, found[0], found[1], item.fingerprint()))
            continue
        results[index] = ItemResult(uuid, "rejected", reason)
    return accepted


def _drop_repeats(accepted: list[Accepted], results: list) -> list[Accepted]:
    """Visits whose UUID is already in this batch are duplicates (same content) or conflicts."""
    first: dict[str, Accepted] = {}
    fresh = []
    for entry in accepted:
        uuid = str(entry.item.uuid)
        if uuid in first:
            same = first[uuid].fingerprint == entry.fingerprint
            results[entry.index] = ItemResult(uuid, "duplicate" if same else "conflict",
                                              None if same else "the same uuid appears twice with different content")
        else:
            first[uuid] = entry
            fresh.append(entry)
    return fresh


def _lock_grids(round_grid_pairs: list[tuple[int, int]]) -> None:
    """Serialise writers per grid: every change to a grid's households happens under its tally row.
    On SQLite the first write takes the database write lock, which serialises all writers."""
    rows = [{"round_id": r, "grid_id": g} for r, g in sorted(round_grid_pairs)]
    db.session.execute(dialect_insert(GridTally.__table__).values(rows).on_conflict_do_nothing())
    if is_postgres():
        for round_id in sorted({r for r, _ in round_grid_pairs}):
            grids = sorted(g for r, g in round_grid_pairs if r == round_id)
            db.session.execute(
                sa.select(GridTally.grid_id).where(GridTally.round_id == round_id, GridTally.grid_id.in_(grids))
                .order_by(GridTally.grid_id).with_for_update())


def _write(worker: User, fresh: list[Accepted], results: list) -> None:
    _lock_grids(list({(e.item.round_id, e.household.grid_id) for e in fresh}))
    existing = {uuid: (visit_id, digest, owner) for uuid, visit_id, digest, owner in db.session.execute(
        sa.select(Visit.uuid, Visit.id, Visit.content_hash, Visit.worker_id)
        .where(Visit.uuid.in_([str(e.item.uuid) for e in fresh])))}
    new: list[Accepted] = []
    for entry in fresh:
        uuid = str(entry.item.uuid)
        if uuid in existing:
            visit_id, digest, owner = existing[uuid]
            if owner != worker.id:  # another worker's visit: neither its id nor its content is the caller's
                results[entry.index] = ItemResult(uuid, "conflict", "this uuid was already recorded by someone else")
            elif digest == entry.fingerprint:
                results[entry.index] = ItemResult(uuid, "duplicate", visit_id=visit_id)
            else:
                results[entry.index] = ItemResult(
                    uuid, "conflict", f"visit {uuid} was already recorded with different content", visit_id=visit_id)
        else:
            new.append(entry)
    if not new:
        return
    new.sort(key=lambda e: (e.item.visited_at, str(e.item.uuid)))
    visits = [_make_visit(worker, entry) for entry in new]
    _flag_fast(worker, visits)
    db.session.add_all(visits)
    db.session.flush()
    _fold_into_tallies(worker, visits)
    for entry, visit in zip(new, visits, strict=True):
        results[entry.index] = ItemResult(visit.uuid, "created", visit_id=visit.id, geo=visit.geo.value,
                                          too_fast=visit.too_fast)


def _make_visit(worker: User, entry: Accepted) -> Visit:
    item, household = entry.item, entry.household
    fix = (item.gps.lat, item.gps.lon) if item.gps else None
    geo, metres = honesty.geo_check(fix, (household.lat, household.lon))
    return Visit(
        uuid=str(item.uuid), round_id=item.round_id, household_id=household.id, worker_id=worker.id,
        outcome=item.outcome, people_briefed=item.people_briefed, app_installs=item.app_installs,
        materials=item.materials, note=item.note.strip(), visited_at=item.visited_at,
        risk_elderly_alone="elderly_alone" in item.risk_flags,
        risk_suspicious_calls="suspicious_calls" in item.risk_flags,
        risk_large_transfer="large_transfer" in item.risk_flags,
        lat=fix[0] if fix else None, lon=fix[1] if fix else None,
        accuracy_m=item.gps.accuracy if item.gps else None, distance_m=metres, geo=geo,
        content_hash=entry.fingerprint)


def _flag_fast(worker: User, visits: list[Visit]) -> None:
    """Flag a new visit that is too close in time (or too far in space) to the worker's visit
    just before or just after it, at another door."""
    start = min(v.visited_at for v in visits) - timedelta(hours=3)
    end = max(v.visited_at for v in visits) + timedelta(hours=3)
    timeline = [(row.visited_at, row.household_id, (row.lat, row.lon) if row.lat is not None else None)
                for row in db.session.execute(
                    sa.select(Visit.visited_at, Visit.household_id, Visit.lat, Visit.lon)
                    .where(Visit.worker_id == worker.id, Visit.visited_at.between(start, end)))]
    timeline += [(v.visited_at, v.household_id, (v.lat, v.lon) if v.lat is not None else None) for v in visits]
    timeline.sort(key=lambda t: t[0])
    for visit in visits:
        fix = (visit.lat, visit.lon) if visit.lat is not None else None
        position = timeline.index((visit.visited_at, visit.household_id, fix))
        neighbours = timeline[max(0, position - 1):position] + timeline[position + 1:position + 2]
        visit.too_fast = any(
            other[1] != visit.household_id and honesty.too_fast(other[0], other[2], visit.visited_at, fix)
            for other in neighbours)


def _fold_into_tallies(worker: User, visits: list[Visit]) -> None:
    state = {}
    for round_id in {v.round_id for v in visits}:  # one indexed lookup per round (row values defeat the index)
        wanted = {v.household_id for v in visits if v.round_id == round_id}
        state.update({(row.round_id, row.household_id): row for row in db.session.scalars(
            sa.select(RoundHousehold).where(RoundHousehold.round_id == round_id,
                                            RoundHousehold.household_id.in_(wanted)))})
    grid_of = dict(db.session.execute(
        sa.select(Household.id, Household.grid_id).where(Household.id.in_({v.household_id for v in visits}))).all())
    grid_delta: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    worker_delta: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for visit in visits:  # in visited_at order, the order in which they were inserted
        grid = grid_of[visit.household_id]
        tally, mine = grid_delta[(visit.round_id, grid)], worker_delta[visit.round_id]
        flags = {"far": visit.geo is GeoCheck.RED, "no_fix": visit.geo is GeoCheck.GREY, "too_fast": visit.too_fast}
        for name, raised in flags.items():
            tally[name] += raised
        tally["visits"] += 1
        tally["flagged"] += visit.flagged
        mine["visits"] += 1
        mine["flagged"] += visit.flagged
        row = state.get((visit.round_id, visit.household_id))
        if row is None:
            row = RoundHousehold(round_id=visit.round_id, household_id=visit.household_id, grid_id=grid,
                                 status=visit.outcome, last_visit_at=visit.visited_at, visits=0,
                                 people_briefed=0, app_installs=0)
            db.session.add(row)
            state[(visit.round_id, visit.household_id)] = row
            old = None
        else:
            old = row.status
            row.status = next_status(old, row.last_visit_at, visit.outcome, visit.visited_at)
            row.last_visit_at = max(row.last_visit_at, visit.visited_at)
        if old is not None:
            tally[old.value] -= 1
        tally[row.status.value] += 1
        if row.status is Outcome.REACHED and old is not Outcome.REACHED:
            mine["reached"] += 1
        row.visits += 1
        for name in ("people_briefed", "app_installs"):
            best = max(getattr(row, name), getattr(visit, name))
            tally[name] += best - getattr(row, name)
            setattr(row, name, best)
    db.session.flush()
    for (round_id, grid_id), changes in sorted(grid_delta.items()):
        values = {name: getattr(GridTally, name) + amount for name, amount in changes.items() if amount}
        if values:
            db.session.execute(sa.update(GridTally).where(GridTally.round_id == round_id, GridTally.grid_id == grid_id)
                               .values(**values), execution_options={"synchronize_session": False})
    for round_id, changes in sorted(worker_delta.items()):
        insert = dialect_insert(WorkerTally.__table__).values(round_id=round_id, worker_id=worker.id, **changes)
        db.session.execute(insert.on_conflict_do_update(
            index_elements=["round_id", "worker_id"],
            set_={name: getattr(WorkerTally.__table__.c, name) + insert.excluded[name] for name in changes}))
