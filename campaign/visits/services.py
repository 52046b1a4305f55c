"""Recording visits. Each batch is checked item by item, written once per visit UUID, and folded
into the per-grid and per-worker tallies in the same transaction, so figures are always exact.

A refused item carries a code, whether the worker can mend it on the phone (pick another household,
correct the time) and send it again under the same UUID, and a reason in the worker's language."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from pydantic import ValidationError
from sqlalchemy.orm import joinedload

from campaign.accounts.models import User
from campaign.areas.models import Area
from campaign.core.claims import claim
from campaign.core.clock import local_date
from campaign.core.types import utcnow
from campaign.core.upsert import dialect_insert, is_postgres
from campaign.extensions import db
from campaign.households.access import households_query
from campaign.households.models import Household
from campaign.risk import tallies as risk_tallies
from campaign.rounds.models import Round

from . import honesty
from .models import GeoCheck, GridTally, Outcome, RoundHousehold, Visit, WorkerTally
from .schemas import VisitIn, explain

# Refusals the worker can put right on the phone and send again; the others are final.
MENDABLE = {"household_unknown", "round_mismatch", "outside_round"}


@dataclass
class ItemResult:
    uuid: str | None
    status: str  # created | duplicate | conflict | rejected
    reason: str | None = None  # a lazy string, rendered in the request's language by as_dict
    code: str | None = None
    mendable: bool | None = None
    round: dict | None = None
    visit_id: int | None = None
    geo: str | None = None
    too_fast: bool | None = None
    time_trusted: bool | None = None

    def as_dict(self) -> dict:
        data = {k: v for k, v in asdict(self).items() if v is not None}
        if self.reason is not None:
            data["reason"] = str(self.reason)
        return data


def rejected(uuid: str | None, code: str, reason, **extra) -> ItemResult:
    return ItemResult(uuid, "rejected", reason, code=code, mendable=code in MENDABLE, **extra)


def invalid(uuid: str | None, detail: str) -> ItemResult:
    return rejected(uuid, "invalid", _l("The phone sent this visit in a form the server cannot accept, so it cannot "
                                        "be saved: %(detail)s", detail=detail))


def conflict(uuid: str, reason, visit_id: int | None = None) -> ItemResult:
    return ItemResult(uuid, "conflict", reason, code="conflict", visit_id=visit_id)


@dataclass
class Accepted:
    index: int
    item: VisitIn
    household: Household
    grid_code: str
    fingerprint: str
    at: datetime  # when the visit counts as made: the phone's time, or the receive time for one in the future
    time_trusted: bool
    phone_time: datetime | None


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
            results[index] = invalid(None, "each visit must be a JSON object")
            continue
        try:
            parsed.append((index, VisitIn.model_validate(raw)))
        except ValidationError as error:
            results[index] = invalid(uuid, explain(error))
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
    received_at = utcnow()
    for index, item in parsed:
        uuid = str(item.uuid)
        found = households.get(item.household_id)
        round_ = rounds.get(item.round_id)
        at, trusted, phone_time = item.timing(received_at)
        day = local_date(at)
        if found is None:
            results[index] = rejected(uuid, "household_unknown", _l(
                "This household is not in your grids any more: it may have moved or been given to another grid. "
                "Choose another household for this visit and send it again."))
        elif round_ is None:
            results[index] = rejected(uuid, "round_unknown", _l(
                "The round of this visit no longer exists, so the visit cannot be saved."))
        elif not found[1].startswith(round_.area.code):
            results[index] = rejected(uuid, "round_mismatch", _l(
                "The round “%(round)s” does not cover this household. Choose a household the round covers and "
                "send the visit again.", round=round_.name))
        elif not round_.is_open_on(day):
            results[index] = rejected(
                uuid, "outside_round", _l(
                    "The visit time (%(day)s) is outside the round “%(round)s” (%(starts)s to %(ends)s). Correct "
                    "the time and send the visit again.", day=day.isoformat(), round=round_.name,
                    starts=round_.starts_on.isoformat(), ends=round_.ends_on.isoformat()),
                round={"id": round_.id, "starts_on": round_.starts_on.isoformat(),
                       "ends_on": round_.ends_on.isoformat()})
        else:
            accepted.append(Accepted(index, item, found[0], found[1], item.fingerprint(), at, trusted, phone_time))
    return accepted


def _drop_repeats(accepted: list[Accepted], results: list) -> list[Accepted]:
    """Visits whose UUID is already in this batch are duplicates (same content) or conflicts."""
    first: dict[str, Accepted] = {}
    fresh = []
    for entry in accepted:
        uuid = str(entry.item.uuid)
        if uuid in first:
            same = first[uuid].fingerprint == entry.fingerprint
            results[entry.index] = ItemResult(uuid, "duplicate") if same else conflict(uuid, _l(
                "This batch holds two different visits with the same identifier; the first was kept and this one "
                "cannot be saved."))
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
    claim(Visit.__table__, [str(e.item.uuid) for e in fresh])  # a UUID raced from another phone waits here
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
                results[entry.index] = conflict(uuid, _l(
                    "Another worker's visit already has this identifier, so this one cannot be saved."))
            elif digest == entry.fingerprint:
                results[entry.index] = ItemResult(uuid, "duplicate", visit_id=visit_id)
            else:
                results[entry.index] = conflict(uuid, _l(
                    "This visit was already saved with different content; the saved one stands and this one cannot "
                    "be saved."), visit_id=visit_id)
        else:
            new.append(entry)
    if not new:
        return
    new.sort(key=lambda e: (e.at, str(e.item.uuid)))
    visits = [_make_visit(worker, entry) for entry in new]
    _flag_fast(worker, visits)
    db.session.add_all(visits)
    db.session.flush()
    _fold_into_tallies(worker, visits)
    for entry, visit in zip(new, visits, strict=True):
        results[entry.index] = ItemResult(visit.uuid, "created", visit_id=visit.id, geo=visit.geo.value,
                                          too_fast=visit.too_fast, time_trusted=visit.time_trusted)


def _make_visit(worker: User, entry: Accepted) -> Visit:
    item, household = entry.item, entry.household
    fix = (item.gps.lat, item.gps.lon) if item.gps else None
    accuracy = item.gps.accuracy if item.gps else None
    geo, metres = honesty.geo_check(fix, (household.lat, household.lon), accuracy)
    return Visit(
        uuid=str(item.uuid), round_id=item.round_id, household_id=household.id, worker_id=worker.id,
        outcome=item.outcome, people_briefed=item.people_briefed, app_installs=item.app_installs,
        materials=item.materials, note=item.note.strip(), visited_at=entry.at, phone_time=entry.phone_time,
        clock_offset_ms=item.clock_offset_ms, time_trusted=entry.time_trusted,
        risk_elderly_alone="elderly_alone" in item.risk_flags,
        risk_suspicious_calls="suspicious_calls" in item.risk_flags,
        risk_large_transfer="large_transfer" in item.risk_flags,
        lat=fix[0] if fix else None, lon=fix[1] if fix else None,
        accuracy_m=accuracy, distance_m=metres, geo=geo,
        content_hash=entry.fingerprint)


def _speed_fix(lat: float | None, lon: float | None, accuracy: float | None) -> tuple[float, float] | None:
    """The fix as the speed check sees it: a coarse one says nothing about the distance walked."""
    return (lat, lon) if lat is not None and not honesty.is_coarse(accuracy) else None


def _flag_fast(worker: User, visits: list[Visit]) -> None:
    """Flag a new visit that is too close in time (or too far in space) to the worker's visit
    just before or just after it, at another door. Visits whose time is not trusted take no part:
    their times say nothing about the walk between doors, and they are flagged for the time already."""
    for visit in visits:
        visit.too_fast = False
    timed = [v for v in visits if v.time_trusted]
    if not timed:
        return
    start = min(v.visited_at for v in timed) - timedelta(hours=3)
    end = max(v.visited_at for v in timed) + timedelta(hours=3)
    timeline = [(row.visited_at, row.household_id, _speed_fix(row.lat, row.lon, row.accuracy_m))
                for row in db.session.execute(
                    sa.select(Visit.visited_at, Visit.household_id, Visit.lat, Visit.lon, Visit.accuracy_m)
                    .where(Visit.worker_id == worker.id, Visit.time_trusted, Visit.visited_at.between(start, end)))]
    timeline += [(v.visited_at, v.household_id, _speed_fix(v.lat, v.lon, v.accuracy_m)) for v in timed]
    timeline.sort(key=lambda t: t[0])
    for visit in timed:
        fix = _speed_fix(visit.lat, visit.lon, visit.accuracy_m)
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
        flags = {"far": visit.geo is GeoCheck.RED, "no_fix": visit.geo is GeoCheck.GREY, "too_fast": visit.too_fast,
                 "coarse_fix": visit.geo is GeoCheck.COARSE, "untrusted_time": not visit.time_trusted}
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
    risk_tallies.fold_visits(worker.id, visits, grid_of)
