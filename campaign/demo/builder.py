"""Deterministic demo data: official division names and codes, made-up grids and households.

Areas come from the division list shipped in ``data/`` (the ``china-division`` CSV layout),
loaded through the same importer as ``flask import-areas``. Households are generated with
Faker's ``zh_CN`` name and phone data and a seeded random generator, and bulk-inserted.
"""
from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from faker.providers.person.zh_CN import Provider as PersonData
from faker.providers.phone_number.zh_CN import Provider as PhoneData

from campaign.accounts.models import LoginAttempt, Role, User, user_grid
from campaign.accounts.services import create_user
from campaign.areas.importer import import_divisions
from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within
from campaign.areas.services import recount_households
from campaign.audit.services import clear_log
from campaign.callbacks.models import CallbackAttempt, CallbackSample, CallbackTask
from campaign.core.bulk import bulk_insert
from campaign.core.clock import local_today
from campaign.core.types import utcnow
from campaign.creation.models import Certificate, CreationCriteria, CreationSettings, CreationTarget
from campaign.events.models import EventPhoto, PublicityEvent
from campaign.extensions import db
from campaign.households.models import Household, phone_index
from campaign.incidents.models import Incident
from campaign.maps.models import AreaBoundary
from campaign.rounds.models import Round
from campaign.rounds.services import create_round
from campaign.visits.models import GridTally, RoundHousehold, Visit, WorkerAnswerTally, WorkerRiskTally, WorkerTally
from campaign.warnings.models import FraudWarning, WarningAttempt, WarningPolicy

from .creation import add_demo_creation
from .events import add_demo_events
from .faker import add_demo_faker
from .incidents import add_demo_incidents
from .visits import add_grid_workers, add_visits
from .warnings import add_demo_warnings

DATA = Path(__file__).parent / "data"
DEMO_PASSWORD = "Wuzha@2026"


@dataclass(frozen=True)
class Scale:
    root: str
    households: int
    center: tuple[float, float]
    spread: float  # degrees: townships (or counties) around the centre
    official_township: str | None = None


SCALES = {
    "county": Scale(root="610923", households=25_000, center=(33.32, 108.31), spread=0.22,
                    official_township="610923100"),
    "city": Scale(root="4116", households=3_000_000, center=(33.62, 114.70), spread=0.55),
}


@dataclass
class Summary:
    areas: int
    grids: int
    households: int
    accounts: list[tuple[str, str]]
    visits: int = 0


def database_is_empty() -> bool:
    return db.session.scalar(sa.select(Area.id).limit(1)) is None


def reset_database() -> None:
    """Remove every row the demo touches, children before parents."""
    clear_log()  # the log refuses DELETE on PostgreSQL
    for model in (CallbackAttempt, CallbackTask, CallbackSample, EventPhoto, PublicityEvent, WarningAttempt,
                  FraudWarning, WarningPolicy, Incident,
                  Certificate, CreationTarget, CreationCriteria, CreationSettings, AreaBoundary,
                  GridTally, WorkerTally, WorkerRiskTally, WorkerAnswerTally, RoundHousehold, Visit, Round):
        db.session.execute(model.__table__.delete())
    for table in (Household.__table__, user_grid, LoginAttempt.__table__, User.__table__):
        db.session.execute(table.delete())
    db.session.execute(sa.update(Area).values(parent_id=None), execution_options={"synchronize_session": False})
    db.session.execute(Area.__table__.delete())
    db.session.expire_all()


def _load_areas(root: str) -> None:
    for name in ("cities.csv", "areas.csv", "streets.csv", "villages.csv"):
        report = import_divisions((DATA / name).read_bytes(), under=root)
        if not report.ok:  # the shipped files are known good; this guards edits to them
            raise RuntimeError(f"{name}: {report.errors[:3]}")


def _place(rng: random.Random, center: tuple[float, float], spread: float) -> tuple[float, float]:
    angle, distance = rng.uniform(0, 2 * math.pi), spread * math.sqrt(rng.random())
    return round(center[0] + distance * math.sin(angle), 6), round(center[1] + distance * math.cos(angle), 6)


def _locate_areas(rng: random.Random, scale: Scale) -> None:
    """Cluster villages around their township, townships around their county, near the real place."""
    areas = list(db.session.scalars(sa.select(Area).where(within(Area.code, scale.root)).order_by(Area.code)))
    by_code = {a.code: a for a in areas}
    spreads = {AreaLevel.CITY: 0.0, AreaLevel.COUNTY: scale.spread, AreaLevel.TOWNSHIP: scale.spread / 2.5,
               AreaLevel.VILLAGE: 0.035}
    for area in areas:
        parent = by_code.get(area.code[:-3]) or by_code.get(area.code[:4])
        origin = (parent.lat, parent.lon) if parent is not None and parent is not area else scale.center
        if area.level is AreaLevel.COUNTY and area.code == scale.root:
            origin = scale.center
        spread = 0.0 if area.code == scale.root else spreads[area.level]
        area.lat, area.lon = _place(rng, origin, spread)
    db.session.flush()


def _add_grids(rng: random.Random, root: str) -> list[tuple[int, str, float, float, bool]]:
    """Two to four grids per village; returns (grid id, code, lat, lon, is_community) for each."""
    villages = db.session.execute(
        sa.select(Area.id, Area.code, Area.name, Area.lat, Area.lon)
        .where(within(Area.code, root), Area.level == AreaLevel.VILLAGE).order_by(Area.code)).all()
    rows, now = [], utcnow()
    for village in villages:
        for number in range(1, rng.randint(2, 4) + 1):
            lat, lon = _place(rng, (village.lat, village.lon), 0.006)
            rows.append({"code": f"{village.code}{number:03d}", "name": f"{village.name}第{number}网格",
                         "level": AreaLevel.GRID, "parent_id": village.id, "lat": lat, "lon": lon,
                         "household_count": 0, "created_at": now, "updated_at": now})
    for start in range(0, len(rows), 5000):
        db.session.execute(sa.insert(Area), rows[start:start + 5000])
    community = {v.id: "社区" in v.name for v in villages}
    grids = db.session.execute(
        sa.select(Area.id, Area.code, Area.lat, Area.lon, Area.parent_id)
        .where(within(Area.code, root), Area.level == AreaLevel.GRID).order_by(Area.code)).all()
    return [(g.id, g.code, g.lat, g.lon, community[g.parent_id]) for g in grids]


class People:
    """Names and phone numbers drawn from Faker's zh_CN data with our own seeded generator (fast)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.surnames = list(PersonData.last_names)
        self.weights = list(PersonData.last_names.values())
        self.given = list(PersonData.first_names)
        self.single = [name for name in self.given if len(name) == 1]
        self.prefixes = [str(p) for p in PhoneData.phonenumber_prefixes]

    def surnames_batch(self, n: int) -> list[str]:
        return self.rng.choices(self.surnames, weights=self.weights, k=n)

    def name(self, surname: str) -> str:
        rng = self.rng
        given = rng.choice(self.given)
        if len(given) == 1 and rng.random() < 0.6:
            given += rng.choice(self.single)
        return surname + given

    def phone(self) -> str:
        return self.rng.choice(self.prefixes) + f"{self.rng.randrange(10**8):08d}"


def _household_rows(rng: random.Random, people: People, grid, count: int, now) -> list[tuple]:
    grid_id, _code, lat, lon, community = grid
    rows = []
    surnames = people.surnames_batch(count)
    # Doors follow one another along lanes: each about 15 m from the last, as a worker walks them.
    walk_lat, walk_lon = lat, lon
    for k in range(count):
        if k % 40 == 0:
            walk_lat, walk_lon = _place(rng, (lat, lon), 0.002)
        walk_lat += rng.gauss(0, 12) / 111_320
        walk_lon += rng.gauss(0, 12) / 93_000
        if community:
            label = f"{k // 24 + 1}栋{(k % 24) // 4 + 1}0{k % 4 + 1}室"
        else:
            label = f"{k // 30 + 1}组{k % 30 + 1}号"
        members = rng.choices((1, 2, 3, 4, 5, 6), weights=(12, 24, 26, 20, 12, 6))[0]
        elderly = members == 1 and rng.random() < 0.45
        located = rng.random() < 0.92
        h_lat, h_lon = (round(walk_lat, 6), round(walk_lon, 6)) if located else (None, None)
        name = people.name(surnames[k]) if rng.random() < 0.88 else None  # draws in the same order as before
        phone = people.phone() if rng.random() < 0.78 else None
        rows.append((grid_id, label, name, phone, phone_index(phone), members, elderly, rng.random() < 0.04,
                     h_lat, h_lon, now, now))
    return rows


HOUSEHOLD_COLUMNS = ("grid_id", "door_label", "head_name", "phone", "phone_index", "members", "elderly_alone",
                     "at_risk", "lat", "lon", "created_at", "updated_at")


def _insert_households(rows: list[tuple]) -> None:
    bulk_insert(Household.__table__, HOUSEHOLD_COLUMNS, rows)


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """``total`` households spread unevenly over ``parts`` grids, summing exactly to ``total``."""
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    scale = total / sum(weights)
    counts = [max(1, int(w * scale)) for w in weights]
    for i in range(total - sum(counts)):
        counts[i % parts] += 1
    return counts


def build_demo(*, scale: str = "county", seed: int = 2026,
               progress: Callable[[int, int], None] | None = None) -> Summary:
    """Build the demo into an empty database. ``progress(done, total)`` follows the grids filled."""
    spec = SCALES[scale]
    rng = random.Random(seed)
    _load_areas(spec.root)
    _locate_areas(rng, spec)
    grids = _add_grids(rng, spec.root)
    people, now = People(rng), utcnow()
    counts = _split(rng, spec.households, len(grids))
    batch: list[tuple] = []
    for index, (grid, count) in enumerate(zip(grids, counts, strict=True)):
        batch.extend(_household_rows(rng, people, grid, count, now))
        if len(batch) >= 50_000:
            _insert_households(batch)
            batch = []
        if progress and index % 100 == 99:
            progress(index + 1, len(grids))
    _insert_households(batch)
    if progress:
        progress(len(grids), len(grids))
    recount_households()
    accounts, worker = _demo_accounts(spec)
    visits = _demo_rounds(spec, rng, people, worker, with_visits=scale == "county")
    if scale == "county":
        add_demo_incidents(spec.root, rng)
        add_demo_warnings(spec.root, rng, lambda: people.name(people.surnames_batch(1)[0]), worker)
        add_demo_events(spec.root, rng)
        add_demo_creation(spec.root, rng)
        # last, on its own generator: nothing above changes
        login, made_up = add_demo_faker(spec.root, spec.official_township, seed, DEMO_PASSWORD, worker)
        accounts.append(login)
        visits += made_up
    areas = db.session.scalar(sa.select(sa.func.count()).select_from(Area).where(within(Area.code, spec.root)))
    return Summary(areas=areas, grids=len(grids), households=sum(counts), accounts=accounts, visits=visits)


def _demo_rounds(spec: Scale, rng: random.Random, people: People, worker: User, *, with_visits: bool) -> int:
    """A worker for every village, a finished round and the current one, and their visits.
    The demo worker's second grid is left unvisited in the current round, so there is work to do."""
    root = db.session.scalar(sa.select(Area).where(Area.code == spec.root))
    keep = {grid.id: worker.id for grid in worker.grids}
    workers = add_grid_workers(spec.root, DEMO_PASSWORD, lambda: people.name(people.surnames_batch(1)[0]), keep)
    today = local_today()
    current = create_round(area=root, name=f"{today.year}年第二轮敲门行动", starts_on=today - timedelta(days=14),
                           ends_on=today + timedelta(days=16))
    if not with_visits:
        return 0
    finished = create_round(area=root, name=f"{today.year}年第一轮敲门行动", starts_on=today - timedelta(days=75),
                            ends_on=today - timedelta(days=45))
    total = add_visits(finished, root=spec.root, workers=workers, reach=0.97, repeat=0.04, rng=rng, today=today)
    total += add_visits(current, root=spec.root, workers=workers, reach=0.45, repeat=0.02, rng=rng, today=today,
                        skip_grids=frozenset([worker.grids[-1].id]))
    return total


def _demo_accounts(spec: Scale) -> list[tuple[str, str]]:
    def area(code: str) -> Area:
        return db.session.scalar(sa.select(Area).where(Area.code == code))

    township_code = spec.official_township or db.session.scalar(
        sa.select(sa.func.min(Area.code)).where(within(Area.code, spec.root), Area.level == AreaLevel.TOWNSHIP))
    township = area(township_code)
    grids = list(db.session.scalars(sa.select(Area).where(
        within(Area.code, township.code), Area.level == AreaLevel.GRID).order_by(Area.code).limit(2)))
    root = area(spec.root)
    create_user(username="admin", display_name=f"{root.name}创建办", role=Role.COUNTY, area=root,
                password=DEMO_PASSWORD)
    create_user(username="official", display_name=f"{township.name}干部", role=Role.OFFICIAL, area=township,
                password=DEMO_PASSWORD)
    worker = create_user(username="worker", display_name="网格员 王芳", role=Role.WORKER, grids=grids,
                         password=DEMO_PASSWORD, phone="13800000001")
    return [
        ("admin", f"{root.name} · {Role.COUNTY.label}"),
        ("official", f"{township.name} · {Role.OFFICIAL.label}"),
        ("worker", f"{' / '.join(g.name for g in grids)} · {Role.WORKER.label}"),
    ], worker
