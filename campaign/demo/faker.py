"""Demo falsification: one extra grid worker whose visits of the current round were made up, and a
call-back sample (回访抽查) of their township that finds them out.

Added after everything else in the demo, with its own random generator (``random.Random(seed +
OFFSET)``), so the main stream and every other figure of the demo stay as they were: the made-up
visits are to households of one grid that nobody visited in the current round, in a village of the
official's township that holds no certificate. All of them within ten minutes, from one spot, with
the same answers; the households called back say nobody came, so those visits become 有疑问 through
the call-back and review services, and the worker stands first on the risk list (/risk/<county>)."""
from __future__ import annotations

import hashlib
import random
import uuid
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from campaign.accounts.models import Role, User
from campaign.accounts.services import create_user
from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within
from campaign.callbacks.models import CallbackTask, Method, Result
from campaign.callbacks.sampling import draw_sample
from campaign.callbacks.services import assign, checkers_query, log_attempt
from campaign.core.bulk import bulk_insert
from campaign.core.clock import local_today, zone
from campaign.core.types import utcnow
from campaign.creation.models import Certificate, CreationTarget
from campaign.extensions import db
from campaign.households.models import Household
from campaign.rounds.models import Round
from campaign.visits import honesty
from campaign.visits.models import Visit
from campaign.visits.rebuild import rebuild_round

from .visits import VISIT_COLUMNS

OFFSET = 4242          # the faker's generator: random.Random(seed + OFFSET)
SAMPLE_SEED = 20_261   # the call-back sample's fixed seed
VISITS = 20
USERNAME = "worker2"
DISPLAY_NAME = "网格员 赵强"
CHECKERS = 4


def _village(township: str, worker: User) -> Area:
    """The township's last village (by code) holding no certificate and none of the demo worker's grids."""
    certified = sa.select(CreationTarget.area_id).join(Certificate, Certificate.target_id == CreationTarget.id)
    own = {g.parent_id for g in worker.grids}
    villages = db.session.scalars(sa.select(Area).where(
        within(Area.code, township), Area.level == AreaLevel.VILLAGE, Area.id.not_in(certified))
        .order_by(Area.code.desc()))
    return next(v for v in villages if v.id not in own)


def _unvisited(round_id: int, village: Area) -> tuple[Area, list]:
    """The village's grid with most households nobody visited in the round, and those households."""
    visited = sa.select(Visit.household_id).where(Visit.round_id == round_id)
    rows = db.session.execute(
        sa.select(Household.grid_id, Household.id, Household.lat, Household.lon)
        .join(Area, Area.id == Household.grid_id)
        .where(within(Area.code, village.code), Household.id.not_in(visited), Household.erased_at.is_(None))
        .order_by(Household.grid_id, Household.id)).all()
    by_grid: dict[int, list] = {}
    for row in rows:
        by_grid.setdefault(row.grid_id, []).append(row)
    grid_id = max(sorted(by_grid), key=lambda g: len(by_grid[g]))
    return db.session.get(Area, grid_id), by_grid[grid_id]


def _made_up_visits(rng: random.Random, round_: Round, worker: User, grid: Area, households: list) -> int:
    """``VISITS`` visits logged yesterday afternoon within ten minutes, all from the grid's centre,
    each saying 2 people briefed, no install, 1 leaflet and nothing else."""
    chosen = sorted(rng.sample(households, min(VISITS, len(households))), key=lambda h: h.id)
    start = datetime.combine(local_today() - timedelta(days=1), time(14, rng.randrange(30)), tzinfo=zone())
    spot = (grid.lat, grid.lon)
    rows = []
    for n, household in enumerate(chosen):
        when = start + timedelta(seconds=30 * n)
        geo, metres = honesty.geo_check(spot, (household.lat, household.lon))
        key = uuid.UUID(int=rng.getrandbits(128), version=4)
        rows.append((str(key), round_.id, household.id, worker.id, "reached", 2, 0, 1, False, False, False, "",
                     when, when + timedelta(minutes=3), spot[0], spot[1], 10.0, metres, geo.value, False,
                     hashlib.sha256(key.bytes).hexdigest()))
    bulk_insert(Visit.__table__, VISIT_COLUMNS, rows)
    rebuild_round(round_.id)
    return len(rows)


def _call_back(rng: random.Random, round_: Round, township: Area, official: User, faker: User) -> None:
    """A call-back sample of the township, assigned to checkers other than the faker, with results: the
    faker's households say nobody came, nearly all the others confirm the visit."""
    sample = draw_sample(round_=round_, area=township, percent=3.0, minimum=1, focused=10, user=official,
                         seed=SAMPLE_SEED)
    checkers = [u for u in db.session.scalars(checkers_query(township)) if u.id != faker.id][:CHECKERS]
    tasks = list(db.session.scalars(sa.select(CallbackTask).where(CallbackTask.sample_id == sample.id)
                                    .order_by(CallbackTask.id)))
    assign(sample=sample, tasks=tasks, checkers=checkers, user=official)
    people = {u.id: u for u in checkers}
    at = utcnow() - timedelta(hours=2)
    for task in tasks:
        if task.checker_id is None:
            continue
        if task.worker_id == faker.id:
            result, note = Result.NOT_VISITED, "户主说这轮没有网格员上门。"
        elif rng.random() < 0.05:
            result, note = Result.DETAILS_DIFFER, "户主说只来了一个人，没有讲解。"
        else:
            result, note = Result.CONFIRMED, ""
        log_attempt(task=task, at=at, method=Method.PHONE, note="", user=people[task.checker_id],
                    result=result, result_note=note)


def add_demo_faker(root: str, township_code: str, seed: int, password: str,
                   worker: User) -> tuple[tuple[str, str], int]:
    """Add the faker, their visits and the call-back sample; return their log-in line and their visits."""
    rng = random.Random(seed + OFFSET)
    round_ = db.session.scalar(sa.select(Round).join(Area, Area.id == Round.area_id)
                               .where(Area.code == root).order_by(Round.starts_on.desc()))
    township = db.session.scalar(sa.select(Area).where(Area.code == township_code))
    official = db.session.scalar(sa.select(User).where(User.role == Role.OFFICIAL, User.area_id == township.id)
                                 .order_by(User.id))
    village = _village(township_code, worker)
    grid, households = _unvisited(round_.id, village)
    faker = create_user(username=USERNAME, display_name=DISPLAY_NAME, role=Role.WORKER, grids=[grid],
                        password=password, phone="13800000002")
    visits = _made_up_visits(rng, round_, faker, grid, households)
    _call_back(rng, round_, township, official, faker)
    return (USERNAME, f"{grid.name} · {Role.WORKER.label} (made-up visits: first on the risk list)"), visits
