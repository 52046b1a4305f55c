"""Issue 16, point 4: the risk list of a city's workers (about 15,000) in under 2 s.

python -m bench.risk [--workers N] [--runs R]

The database (bench/out/risk_<N>w.sqlite) is built once with core inserts and reused: a city of 10
counties, one grid worker per grid, 70 visits per worker in two rounds (about 1 million for 15,000
workers; the second round, measured, holds half of them), logged in working hours with honest
variety, and one worker in a hundred with a made-up pattern (a night, seconds apart, the same
answers, no fix).

The list reads the risk tallies (campaign/risk/tallies.py), kept as visits arrive; the city is
built with bare inserts, so its tallies are rebuilt once from the visits (``flask rebuild-tallies``'s
code) when they are empty, a database built earlier included.

Measured, min / median / max of R runs after one warm-up: ``services.worker_risks`` for the whole
city, the page through the route (the city office), and the plain-SQL floor: the service's two
aggregate statements compiled once and run bare on the DB-API connection. Not in ``make bench``'s
default list (the build takes about a minute); run it alone."""
from __future__ import annotations

import argparse
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import flask_migrate
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from campaign.accounts.models import Role, User, user_grid
from campaign.areas.models import Area, AreaLevel
from campaign.core.clock import local_today
from campaign.households.models import Household
from campaign.rounds.models import Round
from campaign.visits.models import Visit, WorkerRiskTally
from campaign.visits.rebuild import rebuild_round

from .common import OUT, db, fresh_database, insert_rows, make_app, row, timings, vacuum

CITY = "4116"
COUNTIES, TOWNSHIPS, VILLAGES = 10, 20, 15
PASSWORD = "bench-password"
TARGET_MS = 2000
VISITS_PER_WORKER = 70
HOUSEHOLDS_PER_GRID = 30
GEO = ["green"] * 80 + ["amber"] * 7 + ["red"] * 4 + ["coarse"] * 3 + ["grey"] * 4 + ["unknown"] * 2
OUTCOMES = ["reached"] * 70 + ["not_home"] * 20 + ["refused"] * 7 + ["vacant"] * 3


def _url(workers: int) -> str:
    return f"sqlite:///{OUT / f'risk_{workers}w.sqlite'}"


def _built(url: str) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return bool(connection.scalar(sa.select(sa.func.count()).select_from(Visit.__table__)))
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        engine.dispose()



def _level(rows: list[dict]) -> dict[str, int]:
    insert_rows(Area.__table__, rows)
    codes = [r["code"] for r in rows]
    found = {}
    for start in range(0, len(codes), 5000):
        chunk = codes[start:start + 5000]
        found.update(db.session.execute(sa.select(Area.code, Area.id).where(Area.code.in_(chunk))).all())
    return found


def _areas(grids_per_village: int) -> list[int]:
    """The city's areas, a level at a time; returns the grids' ids."""
    per_grid = HOUSEHOLDS_PER_GRID

    def area(code, name, level, parent, households):
        return {"code": code, "name": name, "level": level, "parent_id": parent, "lat": 33.6, "lon": 114.6,
                "household_count": households}

    per_village = per_grid * grids_per_village
    city = _level([area(CITY, "周口市", AreaLevel.CITY, None, per_village * VILLAGES * TOWNSHIPS * COUNTIES)])
    counties = _level([area(f"{CITY}{c:02d}", f"第{c}县", AreaLevel.COUNTY, city[CITY],
                            per_village * VILLAGES * TOWNSHIPS) for c in range(1, COUNTIES + 1)])
    towns = _level([area(f"{code}{100 + t:03d}", f"第{t}镇", AreaLevel.TOWNSHIP, cid, per_village * VILLAGES)
                    for code, cid in counties.items() for t in range(1, TOWNSHIPS + 1)])
    villages = _level([area(f"{code}{v:03d}", f"第{v}村", AreaLevel.VILLAGE, tid, per_village)
                       for code, tid in towns.items() for v in range(1, VILLAGES + 1)])
    grids = _level([area(f"{code}{g:03d}", f"第{g}网格", AreaLevel.GRID, vid, per_grid)
                    for code, vid in villages.items() for g in range(1, grids_per_village + 1)])
    return sorted(grids.values())


def _people(grids: list[int]) -> tuple[list[int], dict[int, int]]:
    password = generate_password_hash(PASSWORD)
    city = db.session.scalar(sa.select(Area.id).where(Area.code == CITY))
    db.session.execute(sa.insert(User), [{"username": "admin", "display_name": "市反诈办", "role": Role.COUNTY,
                                          "area_id": city, "password_hash": password}])
    insert_rows(User.__table__, ({"username": f"gw{g}", "display_name": f"网格员{g}", "role": Role.WORKER,
                              "password_hash": password, "active": True} for g in grids))
    users = dict(db.session.execute(sa.select(User.username, User.id)).all())
    workers = {g: users[f"gw{g}"] for g in grids}
    insert_rows(user_grid, ({"user_id": u, "area_id": g} for g, u in workers.items()))
    today = local_today()
    rounds = [db.session.execute(sa.insert(Round).values(
        name=name, area_id=city, starts_on=today - timedelta(days=start),
        ends_on=today - timedelta(days=end)).returning(Round.id)).scalar_one()
        for name, start, end in (("第一轮敲门行动", 80, 41), ("第二轮敲门行动", 40, -20))]
    return rounds, workers


def _households(grids: list[int]) -> dict[int, list[int]]:
    now = datetime.now(UTC)
    insert_rows(Household.__table__, ({"grid_id": g, "door_label": f"{n + 1}号", "members": 3, "created_at": now,
                                   "updated_at": now} for g in grids for n in range(HOUSEHOLDS_PER_GRID)))
    by_grid: dict[int, list[int]] = {}
    for household_id, grid_id in db.session.execute(sa.select(Household.id, Household.grid_id)):
        by_grid.setdefault(grid_id, []).append(household_id)
    return by_grid


def _visits(rounds: list[int], workers: dict[int, int], households: dict[int, list[int]], rng: random.Random):
    """Each worker's visits in time order, the first half in the first round and the rest in the second;
    one worker in a hundred makes a night's worth up in each."""
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=75)
    for grid_id, worker in workers.items():
        doors = households[grid_id]
        faker = rng.random() < 0.01
        at = start + timedelta(hours=18 if faker else 1, minutes=rng.randint(0, 59))  # 2:00 / 9:00 county time
        for n in range(VISITS_PER_WORKER):
            round_id = rounds[n * 2 // VISITS_PER_WORKER]
            if n == VISITS_PER_WORKER // 2:
                at += timedelta(days=40)
            if faker:
                at += timedelta(seconds=rng.randint(15, 45))
                outcome, geo, people, installs, note = "reached", "grey", 3, 1, "已宣传"
            else:
                at += timedelta(minutes=rng.randint(4, 25))
                if n % 10 == 9:  # the next working day, from 9:00 county time
                    at = (at + timedelta(days=1)).replace(hour=1, minute=rng.randint(0, 59))
                outcome, geo = rng.choice(OUTCOMES), rng.choice(GEO)
                people = rng.randint(1, 4) if outcome == "reached" else 0
                installs = rng.randint(0, 1) if outcome == "reached" else 0
                note = "" if rng.random() < 0.8 else "家中老人独居，已留联系卡"
            yield {"uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "round_id": round_id,
                   "household_id": doors[n % len(doors)], "worker_id": worker, "outcome": outcome,
                   "people_briefed": people, "app_installs": installs, "materials": 1,
                   "risk_elderly_alone": False, "risk_suspicious_calls": False, "risk_large_transfer": False,
                   "note": note, "visited_at": at, "received_at": at, "geo": geo,
                   "too_fast": not faker and rng.random() < 0.02, "time_trusted": True, "content_hash": "bench"}


def _tallied(url: str) -> str:
    """Fill the tallies (the risk tallies among them) from the visits if they are empty: the city is
    built with bare inserts, and a database built before the risk tallies existed has none (it is
    migrated to the head first, as an operator would)."""
    app = make_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        if db.session.scalar(sa.select(WorkerRiskTally.round_id).limit(1)) is None:
            started = time.perf_counter()
            rounds = list(db.session.scalars(sa.select(Round.id).order_by(Round.id)))
            for round_id in rounds:
                rebuild_round(round_id)
            db.session.commit()
            row(f"rebuild the tallies of {len(rounds)} rounds", f"{time.perf_counter() - started:.0f} s", "(setup)")
            vacuum(url)
    return url


def build(workers: int) -> str:
    """A city with about ``workers`` workers (one per grid), built once and reused, its tallies filled."""
    url = _url(workers)
    if _built(url):
        return _tallied(url)
    url = fresh_database("sqlite", f"risk_{workers}w")
    grids_per_village = max(1, round(workers / (COUNTIES * TOWNSHIPS * VILLAGES)))
    app = make_app(url)
    rng = random.Random(16)
    started = time.perf_counter()
    with app.app_context():
        grids = _areas(grids_per_village)
        rounds, by_grid = _people(grids)
        households = _households(grids)
        indexes = sorted(Visit.__table__.indexes, key=lambda index: index.name)
        for index in indexes:
            index.drop(db.session.connection())
        insert_rows(Visit.__table__, _visits(rounds, by_grid, households, rng))
        for index in indexes:
            index.create(db.session.connection())
        db.session.commit()
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Visit.__table__))
    row(f"build {len(grids):,} workers, {count:,} visits", f"{time.perf_counter() - started:.0f} s", "(setup)")
    return _tallied(url)


def _stats(times: list[float]) -> str:
    return f"{min(times):.0f} / {statistics.median(times):.0f} / {max(times):.0f} ms"



def measure(url: str, runs: int) -> None:
    from campaign.risk import services

    app = make_app(url)
    with app.app_context():
        city = db.session.scalar(sa.select(Area).where(Area.code == CITY))
        round_id = db.session.scalar(sa.select(sa.func.max(Round.id)))
        in_round = db.session.scalar(sa.select(sa.func.count()).where(Visit.round_id == round_id))
        row("visits in the round measured", f"{in_round:,}")
        moment = datetime.now(UTC)
        result = services.worker_risks(round_id, city, moment=moment)
        row("workers ranked / too few", f"{len(result.ranked):,} / {len(result.too_few):,}")
        top = result.ranked[0]
        row("first: score, reasons", f"{top.score:.0f}", ", ".join(top.reasons[:4]))
        times = timings(lambda: services.worker_risks(round_id, city, moment=moment), runs)
        row("worker_risks(city)", _stats(times), f"target < {TARGET_MS} ms", max(times) < TARGET_MS)
        statements = [services.counts_query(round_id, city, moment=moment), services.patterns_query(round_id, city)]
        sql = [str(s.compile(db.engine, compile_kwargs={"literal_binds": True})) for s in statements]
        db.session.rollback()
    engine = sa.create_engine(url)
    connection = engine.raw_connection()
    try:
        def bare():
            for statement in sql:
                cursor = connection.cursor()
                cursor.execute(statement)
                cursor.fetchall()
                cursor.close()
        row("plain-SQL floor (the two statements)", _stats(timings(bare, runs)))
    finally:
        connection.close()
        engine.dispose()
    client = app.test_client()
    assert client.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 302
    response = client.get(f"/risk/{CITY}?round={round_id}")
    assert response.status_code == 200, response.status_code
    times = timings(lambda: client.get(f"/risk/{CITY}?round={round_id}"), runs)
    row("GET /risk/<city> (page)", _stats(times), f"{len(response.data) / 1e6:.1f} MB", max(times) < TARGET_MS)


def _load() -> str:
    return " ".join(f"{n:.1f}" for n in os.getloadavg())


def run(workers: int = 15_000, runs: int = 5) -> None:
    print(f"\n[risk list, ~{workers:,} workers · sqlite] load average {_load()}")
    url = build(workers)
    measure(url, runs)
    print(f"  load average {_load()}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.risk", description=__doc__)
    parser.add_argument("--workers", type=int, default=15_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    run(args.workers, args.runs)


if __name__ == "__main__":
    main()
