"""Issue 15: the visits table (/visits/table) at city scale: the first page of each filter, through the route.

python -m bench.visit_table [--db sqlite|postgres|all] [--visits N] [--runs R]
python -m bench.visit_table --demo-city [URL]    # the city demo's database, e.g. its 6 million visits

The database (bench/out/visit_table_<N>.sqlite, or bench_visit_table_<N> on PostgreSQL) is built once
with core inserts and reused: a city of 10 counties, 200 townships, 2,000 villages and 6,000 grids,
two visits per household in two rounds, in time order but in random household order (every
township works every day, as in a real round), with the honesty signals a real ledger shows. The
tallies are rebuilt from the visits, as ``flask rebuild-tallies`` does.

Each case is a GET of the page (view, queries, count, template) by the city office and by a
township official, min / median / max of R runs after one warm-up, beside the plain-SQL floor: the
page's own 50-row query, compiled once and run on the bare DB-API connection."""
from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from campaign.accounts.models import Role, User, user_grid
from campaign.areas.models import Area, AreaLevel
from campaign.core.clock import local_today
from campaign.households.models import Household
from campaign.rounds.models import Round
from campaign.visits.models import Visit
from campaign.visits.rebuild import rebuild_round

from .common import (
    OUT,
    PG_ADMIN_URL,
    db,
    fresh_database,
    insert_rows,
    make_app,
    migrated,
    postgres_reachable,
    row,
    vacuum,
)

CITY = "4116"
COUNTIES, TOWNSHIPS, VILLAGES, GRIDS = 10, 20, 10, 3  # 6,000 grids
PASSWORD = "bench-password"
TARGET_MS = 1000
# (share, class, metres from the door, accuracy)
GEO = [(0.80, "green", 25, 10.0), (0.07, "amber", 180, 15.0), (0.04, "red", 900, 12.0),
       (0.03, "coarse", 150, 400.0), (0.04, "grey", None, None), (0.02, "unknown", 0, 20.0)]
OUTCOMES = ["reached"] * 70 + ["not_home"] * 20 + ["refused"] * 7 + ["vacant"] * 3
METRE = 1 / 111_320


def _name(visits: int) -> str:
    return f"visit_table_{visits // 1000}k"


def _url(kind: str, visits: int) -> str:
    if kind == "sqlite":
        return f"sqlite:///{OUT / (_name(visits) + '.sqlite')}"
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/bench_{_name(visits)}"


def _visit_count(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.select(sa.func.count()).select_from(Visit.__table__)) or 0
    except sa.exc.SQLAlchemyError:
        return 0
    finally:
        engine.dispose()



def _areas(per_grid: int) -> dict[str, tuple[int, float, float]]:
    """The city's areas, parents first; returns grid code → (id, lat, lon)."""
    ids: dict[str, int] = {}
    grids = {}

    def add(code, name, level, parent, lat, lon, households):
        ids[code] = db.session.execute(sa.insert(Area).values(
            code=code, name=name, level=level, parent_id=ids.get(parent), lat=lat, lon=lon,
            household_count=households).returning(Area.id)).scalar_one()

    per_village, per_township = per_grid * GRIDS, per_grid * GRIDS * VILLAGES
    add(CITY, "周口市", AreaLevel.CITY, None, 33.6, 114.6, per_township * TOWNSHIPS * COUNTIES)
    for c in range(1, COUNTIES + 1):
        county = f"{CITY}{c:02d}"
        add(county, f"第{c}县", AreaLevel.COUNTY, CITY, 33.6, 114.6, per_township * TOWNSHIPS)
        for t in range(1, TOWNSHIPS + 1):
            town = f"{county}{100 + t:03d}"
            add(town, f"第{c}县第{t}镇", AreaLevel.TOWNSHIP, county, 33.6, 114.6, per_township)
            for v in range(1, VILLAGES + 1):
                village = f"{town}{v:03d}"
                lat = 33.0 + 0.12 * c + 0.006 * t
                lon = 114.0 + 0.06 * v + 0.003 * t
                add(village, f"第{t}镇第{v}村", AreaLevel.VILLAGE, town, lat, lon, per_village)
                for g in range(1, GRIDS + 1):
                    grid = f"{village}{g:03d}"
                    add(grid, f"第{v}村第{g}网格", AreaLevel.GRID, village, lat, lon + 0.01 * g, per_grid)
                    grids[grid] = (ids[grid], lat, lon + 0.01 * g)
    return grids


def _people(grids: dict[str, tuple[int, float, float]]) -> tuple[list[int], dict[int, int]]:
    """The city office, one township official, a grid worker per grid, and two rounds."""
    password = generate_password_hash(PASSWORD)
    area = dict(db.session.execute(sa.select(Area.code, Area.id).where(sa.func.length(Area.code) <= 9)).all())
    township = f"{CITY}01101"
    db.session.execute(sa.insert(User), [
        {"username": "admin", "display_name": "市反诈办", "role": Role.COUNTY, "area_id": area[CITY],
         "password_hash": password},
        {"username": "official", "display_name": "第1镇创建办", "role": Role.OFFICIAL, "area_id": area[township],
         "password_hash": password}])
    db.session.execute(sa.insert(User), [{"username": f"gw{code}", "display_name": f"网格员{code[-9:]}",
                                          "role": Role.WORKER, "password_hash": password} for code in grids])
    users = dict(db.session.execute(sa.select(User.username, User.id)).all())
    workers = {grid_id: users[f"gw{code}"] for code, (grid_id, _, _) in grids.items()}
    db.session.execute(sa.insert(user_grid), [{"user_id": u, "area_id": g} for g, u in workers.items()])
    today = local_today()
    rounds = [db.session.execute(sa.insert(Round).values(
        name=name, area_id=area[CITY], starts_on=today - timedelta(days=start),
        ends_on=today - timedelta(days=end)).returning(Round.id)).scalar_one()
        for name, start, end in (("第一轮敲门行动", 120, 61), ("第二轮敲门行动", 60, -30))]
    return rounds, workers


def _households(grids, per_grid: int, rng: random.Random) -> list[tuple[int, int, float | None, float | None]]:
    now = datetime.now(UTC)

    def rows():
        for grid_id, lat, lon in grids.values():
            for n in range(per_grid):
                located = rng.random() > 0.02
                yield {"grid_id": grid_id, "door_label": f"{n // 30 + 1}组{n % 30 + 1}号", "head_name": "张伟",
                       "members": 3, "lat": lat + rng.uniform(-0.004, 0.004) if located else None,
                       "lon": lon + rng.uniform(-0.004, 0.004) if located else None, "created_at": now,
                       "updated_at": now}
    insert_rows(Household.__table__, rows())
    return list(db.session.execute(sa.select(Household.id, Household.grid_id, Household.lat, Household.lon)).all())


def _geo(rng: random.Random, lat, lon):
    """A fix for the household: (geo, lat, lon, accuracy, distance)."""
    pick, share = rng.random(), 0.0
    geo, metres, accuracy = GEO[-1][1:]
    for part, *kind in GEO:
        share += part
        if pick < share:
            geo, metres, accuracy = kind
            break
    if geo == "grey":
        return "grey", None, None, None, None
    if lat is None:
        return "unknown", 33.6, 114.6, accuracy, None
    if geo == "unknown":
        geo, metres = "green", 25
    distance = metres * rng.uniform(0.2, 1.0)
    angle = rng.uniform(0, 2 * math.pi)
    return (geo, lat + distance * math.sin(angle) * METRE, lon + distance * math.cos(angle) * METRE / 0.83,
            accuracy, distance)


def _visits(households, rounds: list[int], workers: dict[int, int], total: int, rng: random.Random):
    """``total`` visits, half in each round, in time order, each round's households in random order."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    spans = [(today - timedelta(days=120), 60), (today - timedelta(days=60), 59)]
    per_round = [total // 2, total - total // 2]
    for (start, days), round_id, count in zip(spans, rounds, per_round, strict=True):
        order = list(range(len(households)))
        rng.shuffle(order)
        step = days * 86_400 / count
        for n in range(count):
            household_id, grid_id, lat, lon = households[order[n % len(order)]]
            outcome = rng.choice(OUTCOMES)
            geo, fix_lat, fix_lon, accuracy, distance = _geo(rng, lat, lon)
            at = start + timedelta(seconds=step * n)
            trusted = rng.random() > 0.005
            worker = workers[grid_id] if rng.random() > 0.01 else workers.get(grid_id - 1, workers[grid_id])
            yield {"uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "round_id": round_id,
                   "household_id": household_id, "worker_id": worker, "outcome": outcome,
                   "people_briefed": 2 if outcome == "reached" else 0, "app_installs": rng.randint(0, 1),
                   "materials": 1, "risk_elderly_alone": rng.random() < 0.1, "risk_suspicious_calls": False,
                   "risk_large_transfer": False, "note": "" if rng.random() < 0.9 else "家中老人独居，已留联系卡",
                   "visited_at": at, "received_at": at + timedelta(minutes=2), "lat": fix_lat, "lon": fix_lon,
                   "accuracy_m": accuracy, "distance_m": distance, "geo": geo, "too_fast": rng.random() < 0.02,
                   "time_trusted": trusted, "phone_time": at if trusted else None, "content_hash": "bench"}


def build(kind: str, visits: int) -> str:
    """A city with ``visits`` visits, built once and reused."""
    url = _url(kind, visits)
    if _visit_count(url) >= visits:
        return migrated(url)
    url = fresh_database(kind, _name(visits))
    per_grid = -(-visits // (2 * COUNTIES * TOWNSHIPS * VILLAGES * GRIDS))
    app = make_app(url)
    rng = random.Random(15)
    started = time.perf_counter()
    with app.app_context():
        grids = _areas(per_grid)
        rounds, workers = _people(grids)
        households = _households(grids, per_grid, rng)
        # As an operator loads in bulk: the visit indexes built once at the end, not row by row.
        indexes = sorted(Visit.__table__.indexes, key=lambda index: index.name)
        for index in indexes:
            index.drop(db.session.connection())
        insert_rows(Visit.__table__, _visits(households, rounds, workers, visits, rng))
        for index in indexes:
            index.create(db.session.connection())
        db.session.commit()
        loaded = time.perf_counter() - started
        for round_id in rounds:
            rebuild_round(round_id)
        db.session.commit()
    vacuum(url)
    row(f"build {visits:,} visits, {len(households):,} households", f"{time.perf_counter() - started:.0f} s",
        f"(setup; tallies rebuilt in {time.perf_counter() - started - loaded:.0f} s)")
    return url


def _synthetic_codes() -> dict[str, str]:
    """The areas the cases filter on, in the city this module builds."""
    return {"county": f"{CITY}10", "village": f"{CITY}10110010", "grid": f"{CITY}10110010003",
            "township_grid": f"{CITY}01101001001", "worker": f"gw{CITY}01101001001",
            "admin": "admin", "official": "official", "password": PASSWORD}


def _cases(codes: dict[str, str]) -> list[tuple[str, str, str]]:
    """(label, user, query string): the city office over the whole city, then a township official."""
    today = local_today()
    week = f"start={today - timedelta(days=30)}&end={today - timedelta(days=24)}"
    county, village, grid = codes["county"], codes["village"], codes["grid"]
    return [
        ("city: no filter (newest first)", "admin", ""),
        ("city: a county", "admin", f"area={county}"),
        ("city: a village", "admin", f"area={village}"),
        ("city: a grid", "admin", f"area={grid}"),
        ("city: a worker", "admin", "worker={worker}"),
        ("city: outcome refused", "admin", "outcome=refused"),
        ("city: one week", "admin", week),
        ("city: GPS coarse", "admin", "geo=coarse"),
        ("city: GPS far (red)", "admin", "geo=red"),
        ("city: too fast", "admin", "too_fast=1"),
        ("city: with an honesty signal", "admin", "flagged=1"),
        ("city: time in doubt", "admin", "untrusted=1"),
        ("city: signal + not home", "admin", "flagged=1&outcome=not_home"),
        ("city: coarse + refused", "admin", "geo=coarse&outcome=refused"),
        ("county: time in doubt + refused + a week", "admin", f"area={county}&untrusted=1&outcome=refused&{week}"),
        ("city: sorted by household", "admin", "sort=household"),
        ("city: sorted by outcome", "admin", "sort=outcome"),
        ("city: sorted by GPS class, worst first", "admin", "sort=geo&order=desc"),
        ("county: signal, sorted by GPS class", "admin", f"area={county}&flagged=1&sort=geo&order=desc"),
        ("city: oldest first", "admin", "order=asc"),
        ("city: page 200 (the deepest)", "admin", "page=200"),
        ("township: no filter", "official", ""),
        ("township: with an honesty signal", "official", "flagged=1"),
        ("township: outcome refused, a week", "official", f"outcome=refused&{week}"),
        ("township: sorted by worker", "official", "sort=worker"),
        ("township: a worker, sorted by GPS class", "official", "worker={worker}&sort=geo"),
        ("township: one of its grids", "official", f"area={codes['township_grid']}"),
    ]


def _stats(times: list[float]) -> str:
    return f"{min(times):.0f} / {statistics.median(times):.0f} / {max(times):.0f} ms"


def _floor(app, user: str, query: str, runs: int) -> tuple[float, float, str]:
    """The page's own two statements, its 51 ids and its count, compiled with their values and run bare
    on the DB-API connection (median ms each), and where the count came from."""
    from flask_login import login_user

    from campaign.visits import table_query

    with app.test_request_context(f"/visits/table?{query}"):
        login_user(db.session.scalar(sa.select(User).where(User.username == user)))
        filters = table_query.parse_filters()
        source = table_query.count(filters).source
        tallies = table_query.tally_query(filters)
        statements = [table_query.page_query(filters, 0, table_query.PER_PAGE + 1),
                      table_query.capped_query(filters) if tallies is None else tallies]
        sql = [str(s.compile(db.engine, compile_kwargs={"literal_binds": True})) for s in statements]
        db.session.rollback()
    connection = db.engine.raw_connection()
    medians = []
    try:
        for statement in sql:
            times = []
            for n in range(runs + 1):
                cursor = connection.cursor()
                started = time.perf_counter()
                cursor.execute(statement)
                cursor.fetchall()
                cursor.close()
                if n:
                    times.append((time.perf_counter() - started) * 1000)
            medians.append(statistics.median(times))
    finally:
        connection.close()
    return medians[0], medians[1], source


def measure(url: str, runs: int,
            codes: dict[str, str] | None = None) -> list[tuple[str, list[float], float, float, str]]:
    codes = codes or _synthetic_codes()
    app = make_app(url)
    clients = {}
    for user in ("admin", "official"):
        clients[user] = app.test_client()
        response = clients[user].post("/login", data={"username": codes[user], "password": codes["password"]})
        assert response.status_code == 302, response.status_code
    with app.app_context():
        worker = db.session.scalar(sa.select(User.id).where(User.username == codes["worker"]))
    results = []
    for label, user, query in _cases(codes):
        query = query.replace("{worker}", str(worker))
        times = []
        for n in range(runs + 1):
            started = time.perf_counter()
            response = clients[user].get(f"/visits/table?{query}")
            assert response.status_code == 200, (label, response.status_code)
            if n:
                times.append((time.perf_counter() - started) * 1000)
        with app.app_context():
            page, counted, source = _floor(app, codes[user], query, runs)
        results.append((label, times, page, counted, source))
        row(label, _stats(times), f"floor {page:.0f} + {counted:.0f} ms (page + count: {source})",
            max(times) < TARGET_MS)
    times = []
    for _ in range(2):
        started = time.perf_counter()
        response = clients["admin"].get("/visits/table/map")
        assert response.status_code == 200
        times.append((time.perf_counter() - started) * 1000)
    row("map of the first 2,000 visits (city)", f"{times[-1]:.0f} ms", f"{len(response.data) / 1e6:.1f} MB")
    return results


def run(kinds: list[str], visits: int = 1_000_000, runs: int = 5) -> None:
    for kind in kinds:
        print(f"\n[visits table, {visits:,} visits · {kind}] load average {_load()}")
        url = build(kind, visits)
        print(f"  {'first page of /visits/table':<46} {'min / median / max':>22}   target < {TARGET_MS} ms")
        measure(url, runs)
        print(f"  load average {_load()}")


def demo_city_codes(url: str) -> dict[str, str]:
    """The cases' areas and users in the city demo (``flask demo --scale city``, as bench/base.py builds
    it, with bench/visits.py's visits): its county office, the official of its largest township (made by
    bench/dashboard.py), its first county, its largest village, a grid of it and that grid's worker."""
    from campaign.accounts.services import create_user
    from campaign.demo.builder import DEMO_PASSWORD

    official = "bench_township"
    with make_app(url).app_context():
        def first(level, parent=None, order=Area.code):
            query = sa.select(Area).where(Area.level == level)
            if parent is not None:
                query = query.where(Area.code.startswith(parent.code))
            return db.session.scalar(query.order_by(order).limit(1))
        county = first(AreaLevel.COUNTY)
        village = first(AreaLevel.VILLAGE, order=Area.household_count.desc())
        grid = first(AreaLevel.GRID, village)
        town = first(AreaLevel.TOWNSHIP, order=Area.household_count.desc())
        township_grid = first(AreaLevel.GRID, town)
        if db.session.scalar(sa.select(User.id).where(User.username == official)) is None:
            create_user(username=official, display_name="基准乡镇干部", role=Role.OFFICIAL, area=town,
                        password=DEMO_PASSWORD)
            db.session.commit()
        worker = db.session.scalar(sa.select(User.username).join(user_grid, user_grid.c.user_id == User.id)
                                   .where(user_grid.c.area_id == township_grid.id).limit(1))
        admin = db.session.scalar(sa.select(User.username).where(User.role == Role.COUNTY)
                                  .join(Area, Area.id == User.area_id).where(Area.parent_id.is_(None)).limit(1))
        return {"county": county.code, "village": village.code, "grid": grid.code,
                "township_grid": township_grid.code, "worker": worker, "admin": admin, "official": official,
                "password": DEMO_PASSWORD}


def run_demo_city(url: str, runs: int) -> None:
    """The same cases on the city demo's database (about 6 million visits once bench/visits.py loaded them)."""
    with make_app(migrated(url)).app_context():
        visits = db.session.scalar(sa.select(sa.func.count()).select_from(Visit))
    kind = "postgres" if url.startswith("postgresql") else "sqlite"
    print(f"\n[visits table, city demo, {visits:,} visits · {kind}] load average {_load()}")
    print(f"  {'first page of /visits/table':<46} {'min / median / max':>22}   target < {TARGET_MS} ms")
    measure(url, runs, demo_city_codes(url))
    print(f"  load average {_load()}")


def _load() -> str:
    return " ".join(f"{n:.1f}" for n in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.visit_table", description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--demo-city", metavar="URL", nargs="?", const=f"sqlite:///{OUT / 'city.sqlite'}",
                        help="measure on the city demo's database instead (default bench/out/city.sqlite, "
                             "its visits loaded by bench/visits.py or bench/dashboard.py)")
    args = parser.parse_args()
    if args.demo_city:
        run_demo_city(args.demo_city, args.runs)
        return
    kinds = ["sqlite", "postgres"] if args.db == "all" else [args.db]
    if "postgres" in kinds and not postgres_reachable():
        kinds.remove("postgres")
        print("PostgreSQL not reachable: SQLite only")
    run(kinds, args.visits, args.runs)


if __name__ == "__main__":
    main()
