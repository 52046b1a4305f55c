"""Demo door-knocking: grid workers, rounds and the visits a county would have logged in them,
with the honesty signals a real ledger shows (fixes far from the door, no fix, bursts)."""
from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from itertools import groupby

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from campaign.accounts.models import Role, User, user_grid
from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within
from campaign.core.bulk import bulk_insert
from campaign.core.clock import zone
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.households.models import Household
from campaign.rounds.models import Round
from campaign.visits import honesty
from campaign.visits.models import Visit
from campaign.visits.rebuild import rebuild_round

VISIT_COLUMNS = ("uuid", "round_id", "household_id", "worker_id", "outcome", "people_briefed", "app_installs",
                 "materials", "risk_elderly_alone", "risk_suspicious_calls", "risk_large_transfer", "note",
                 "visited_at", "received_at", "lat", "lon", "accuracy_m", "distance_m", "geo", "too_fast",
                 "content_hash")
FIRST = (("reached", 74), ("not_home", 18), ("refused", 3), ("vacant", 5))
METRE = 1 / 111_320


def add_grid_workers(root: str, password: str, names: Callable[[], str], keep: dict[int, int]) -> dict[int, int]:
    """One demo worker per village (user name ``gw`` + village code) for every grid not in ``keep``.
    Returns grid id → worker id. All share one password hash, so a city builds in seconds."""
    grids = db.session.execute(
        sa.select(Area.id, Area.parent_id).where(within(Area.code, root), Area.level == AreaLevel.GRID)
        .order_by(Area.code)).all()
    villages = dict(db.session.execute(sa.select(Area.id, Area.code).where(
        within(Area.code, root), Area.level == AreaLevel.VILLAGE)).all())
    password_hash, now = generate_password_hash(password, method="scrypt"), utcnow()
    needed = sorted({parent for grid, parent in grids if grid not in keep})
    if needed:
        db.session.execute(sa.insert(User), [
            {"username": f"gw{villages[v]}", "display_name": names(), "role": Role.WORKER,
             "password_hash": password_hash, "active": True, "created_at": now} for v in needed])
    worker_of_village = dict(db.session.execute(sa.select(User.username, User.id).where(
        User.username.in_([f"gw{villages[v]}" for v in needed]))).all())
    mapping = dict(keep)
    for grid, parent in grids:
        if grid not in keep:
            mapping[grid] = worker_of_village[f"gw{villages[parent]}"]
    rows = [{"user_id": w, "area_id": g} for g, w in mapping.items() if g not in keep]
    for start in range(0, len(rows), 5000):
        db.session.execute(user_grid.insert(), rows[start:start + 5000])
    return mapping


def _working_days(round_: Round, today: date) -> list[date]:
    last = min(round_.ends_on, today - timedelta(days=1))
    return [round_.starts_on + timedelta(days=n) for n in range((last - round_.starts_on).days + 1)]


class _Day:
    """A worker's clock: doors a few minutes apart from 09:00, the next day after 17:30."""

    def __init__(self, rng: random.Random, days: list[date]):
        self.rng, self.days = rng, days
        self.index = rng.randrange(max(1, len(days) // 2))
        self.moment = self._morning()

    def _morning(self) -> datetime:
        return datetime.combine(self.days[self.index], time(9, self.rng.randrange(30)), tzinfo=zone())

    def next(self, minutes: float) -> datetime | None:
        if self.index >= len(self.days):
            return None
        self.moment += timedelta(minutes=minutes)
        if self.moment.time() > time(17, 30):
            self.next_day()
        return self.moment if self.index < len(self.days) else None

    def next_day(self) -> None:
        self.index += 1
        if self.index < len(self.days):
            self.moment = self._morning()


def visit_row(rng, round_id, household, worker, outcome, when, fix_kind, near):
    """One visit row. ``near`` is where the phone is when the door has no location on record."""
    household_id, _grid, h_lat, h_lon = household
    reached = outcome == "reached"
    people = rng.randint(1, 4) if reached else 0
    fix = None
    if fix_kind != "none":
        spread = {"door": 25, "near": 180, "far": 900}[fix_kind]
        where = (h_lat, h_lon) if h_lat is not None else near
        fix = (where[0] + rng.gauss(0, spread) * METRE, where[1] + rng.gauss(0, spread) * METRE)
    geo, metres = honesty.geo_check(fix, (h_lat, h_lon))
    key = uuid.UUID(int=rng.getrandbits(128), version=4)
    return [str(key), round_id, household_id, worker, outcome, people, rng.randint(0, people) if reached else 0,
            rng.randint(0, 3), False, reached and rng.random() < 0.03, reached and rng.random() < 0.01, "",
            when, when + timedelta(minutes=rng.randint(1, 90)), fix[0] if fix else None, fix[1] if fix else None,
            round(rng.uniform(5, 40), 1) if fix else None, metres, geo.value, False,
            hashlib.sha256(key.bytes).hexdigest()]


def add_visits(round_: Round, *, root: str, workers: dict[int, int], reach: float, repeat: float,
               rng: random.Random, today: date, skip_grids: frozenset[int] = frozenset(),
               progress: Callable[[int], None] | None = None) -> int:
    """Log visits to about ``reach`` of the households, revisiting not-home ones and ``repeat`` of
    the rest; then compute the tallies from them. Returns the number of visits."""
    days = _working_days(round_, today)
    if not days:
        return 0
    households = db.session.execute(
        sa.select(Household.id, Household.grid_id, Household.lat, Household.lon)
        .join(Area, Area.id == Household.grid_id).where(within(Area.code, root))
        .order_by(Household.grid_id, Household.id)).all()
    total, batch, clocks = 0, [], {}
    for grid_id, members in groupby(households, key=lambda h: h[1]):
        members = list(members)
        if grid_id in skip_grids:
            continue
        worker = workers[grid_id]
        clock = clocks.setdefault(worker, _Day(rng, days))  # one worker walks one grid after another
        clock.next_day()
        near = _near(members)
        share = min(1.0, reach * rng.uniform(0.85, 1.15))
        chosen = members[: round(len(members) * share)]
        burst = rng.random() < 0.03  # a worker who logged a street from the office
        later, previous = [], None
        for position, household in enumerate(chosen):
            in_burst = burst and position < 12
            when = clock.next(0.15 if in_burst else rng.uniform(3, 9) + _walk_minutes(previous, household))
            previous = household
            if when is None:
                break
            outcome = rng.choices([o for o, _ in FIRST], weights=[w for _, w in FIRST])[0]
            fix = "none" if in_burst or rng.random() < 0.04 else rng.choices(
                ["door", "near", "far"], weights=(90, 8, 2))[0]
            batch.append(visit_row(rng, round_.id, household, worker, outcome, when, fix, near))
            if (outcome == "not_home" and rng.random() < 0.7) or rng.random() < repeat:
                later.append(household)
        clock.next_day()  # not-home doors are tried again another day
        for household in later:
            when = clock.next(rng.uniform(3, 9) + _walk_minutes(previous, household))
            previous = household
            if when is None:
                break
            outcome = "reached" if rng.random() < 0.75 else "not_home"
            batch.append(visit_row(rng, round_.id, household, worker, outcome, when, "door", near))
        if len(batch) >= 50_000:
            total += _flush(batch)
            batch = []
            if progress:
                progress(total)
    total += _flush(batch)
    _mark_fast(round_.id)
    rebuild_round(round_.id)
    return total


def _near(members) -> tuple[float, float]:
    located = next((h for h in members if h[2] is not None), None)
    return (located[2], located[3]) if located else (33.3, 108.3)


def _walk_minutes(a, b) -> float:
    """Minutes to walk between two households at an unhurried 1 m/s."""
    if a is None or a[2] is None or b[2] is None:
        return 2.0
    return honesty.distance_m(a[2], a[3], b[2], b[3]) / 60


def _flush(rows: list[list]) -> int:
    if rows:
        bulk_insert(Visit.__table__, VISIT_COLUMNS, (tuple(r) for r in rows))
    return len(rows)


def _mark_fast(round_id: int) -> None:
    """Flag visits too close in time to the same worker's previous visit at another door."""
    fast, previous = [], None
    for row in db.session.execute(
            sa.select(Visit.id, Visit.worker_id, Visit.household_id, Visit.visited_at, Visit.lat, Visit.lon)
            .where(Visit.round_id == round_id).order_by(Visit.worker_id, Visit.visited_at)):
        if previous is not None and previous.worker_id == row.worker_id and previous.household_id != row.household_id:
            a = (previous.lat, previous.lon) if previous.lat is not None else None
            b = (row.lat, row.lon) if row.lat is not None else None
            if honesty.too_fast(previous.visited_at, a, row.visited_at, b):
                fast.append(row.id)
        previous = row
    for start in range(0, len(fast), 5000):
        db.session.execute(sa.update(Visit).where(Visit.id.in_(fast[start:start + 5000])).values(too_fast=True),
                           execution_options={"synchronize_session": False})
