"""Issue 7: the XLSX export of a million visits, through the route, timed and with its peak memory.

python -m bench.exports [--db sqlite|postgres|all] [--visits N]

The database (bench/out/exports.sqlite, or bench_exports on PostgreSQL) is built once with core
inserts and reused while it holds enough visits. The export runs in a child process, so its peak
memory (VmHWM) is the export's alone, app and libraries included.
"""
from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import subprocess
import sys
import time
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from campaign.accounts.models import Role, User, user_grid
from campaign.areas.models import Area, AreaLevel
from campaign.core.clock import local_today
from campaign.households.models import Household
from campaign.rounds.models import Round
from campaign.visits.models import Visit

from .common import OUT, db, fresh_database, make_app, postgres_reachable, row, vacuum

COUNTY = "610923"
PASSWORD = "bench-password"
TOWNSHIPS, VILLAGES, GRIDS = 10, 10, 4  # 400 grids
VISITS_PER_HOUSEHOLD = 2
BATCH = 20_000
TARGET_SECONDS, TARGET_MB = 60, 500


def _areas() -> tuple[list[dict], list[str]]:
    """The county, its townships, villages and grids; returns the rows and the grid codes."""
    rows = [{"code": COUNTY, "name": "宁陕县", "level": AreaLevel.COUNTY, "parent": None}]
    grids = []
    for t in range(1, TOWNSHIPS + 1):
        town = f"{COUNTY}{100 + t:03d}"
        rows.append({"code": town, "name": f"第{t}镇", "level": AreaLevel.TOWNSHIP, "parent": COUNTY})
        for v in range(1, VILLAGES + 1):
            village = f"{town}{v:03d}"
            rows.append({"code": village, "name": f"第{t}镇第{v}村", "level": AreaLevel.VILLAGE, "parent": town})
            for g in range(1, GRIDS + 1):
                grids.append(f"{village}{g:03d}")
                rows.append({"code": grids[-1], "name": f"第{t}镇第{v}村第{g}网格", "level": AreaLevel.GRID,
                             "parent": village})
    return rows, grids


def _insert_areas(households_per_grid: int) -> dict[str, int]:
    rows, grids = _areas()
    ids: dict[str, int] = {}
    for item in rows:  # parents first, so each knows its parent's id
        count = households_per_grid * sum(1 for g in grids if g.startswith(item["code"]))
        ids[item["code"]] = db.session.execute(sa.insert(Area).values(
            code=item["code"], name=item["name"], level=item["level"], lat=33.3, lon=108.3,
            parent_id=ids.get(item["parent"]), household_count=count).returning(Area.id)).scalar_one()
    return {code: ids[code] for code in grids}


def _insert_people(grids: dict[str, int]) -> tuple[int, dict[int, int]]:
    """The county office's user (for the log-in) and a grid worker per grid; returns the round and workers."""
    password = generate_password_hash(PASSWORD)
    county_id = db.session.scalar(sa.select(Area.id).where(Area.code == COUNTY))
    db.session.execute(sa.insert(User), [{"username": "admin", "display_name": "县创建办", "role": Role.COUNTY,
                                          "area_id": county_id, "password_hash": password}])
    db.session.execute(sa.insert(User), [{"username": f"gw{code}", "display_name": f"网格员{code[-6:]}",
                                          "role": Role.WORKER, "password_hash": password} for code in grids])
    users = dict(db.session.execute(sa.select(User.username, User.id)).all())
    workers = {grid_id: users[f"gw{code}"] for code, grid_id in grids.items()}
    db.session.execute(sa.insert(user_grid), [{"user_id": u, "area_id": g} for g, u in workers.items()])
    round_id = db.session.execute(sa.insert(Round).values(
        name="第一轮敲门行动", area_id=county_id, starts_on=local_today() - timedelta(days=60),
        ends_on=local_today() + timedelta(days=30)).returning(Round.id)).scalar_one()
    return round_id, workers


def _insert(table: sa.Table, rows) -> None:
    """Core inserts (executemany) of BATCH rows at a time."""
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, BATCH)):
        db.session.execute(table.insert(), batch)


def _insert_households(grids: dict[str, int], per_grid: int) -> list[tuple[int, int]]:
    now = datetime.now(UTC)
    _insert(Household.__table__, ({"grid_id": grid_id, "door_label": f"{n // 30 + 1}组{n % 30 + 1}号",
                                   "head_name": "张伟", "phone": "13812345678", "members": 3, "lat": 33.3,
                                   "lon": 108.3, "created_at": now, "updated_at": now}
                                  for grid_id in grids.values() for n in range(per_grid)))
    return list(db.session.execute(sa.select(Household.id, Household.grid_id)).all())


def _visit_rows(households: list[tuple[int, int]], round_id: int, workers: dict[int, int], total: int):
    rng = random.Random(7)
    start = datetime.now(UTC) - timedelta(days=50)
    outcomes = ["reached"] * 7 + ["not_home", "not_home", "refused"]
    for n in range(total):
        household_id, grid_id = households[n % len(households)]
        outcome = rng.choice(outcomes)
        far = rng.random() < 0.05
        yield {"uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "round_id": round_id,
               "household_id": household_id, "worker_id": workers[grid_id], "outcome": outcome,
               "people_briefed": 2 if outcome == "reached" else 0, "app_installs": rng.randint(0, 2),
               "materials": 1, "risk_elderly_alone": rng.random() < 0.1, "risk_suspicious_calls": rng.random() < 0.05,
               "risk_large_transfer": False, "note": "" if rng.random() < 0.9 else "家中老人独居，已留联系卡",
               "visited_at": start + timedelta(seconds=4 * n), "received_at": start + timedelta(seconds=4 * n + 60),
               "lat": 33.3, "lon": 108.3, "accuracy_m": 12.0, "distance_m": 420.0 if far else 18.5,
               "geo": "red" if far else "green", "too_fast": False, "content_hash": "bench"}


def build(kind: str, visits: int) -> str:
    """A database with at least ``visits`` visits in one round of one county, built once."""
    url = f"sqlite:///{OUT / 'exports.sqlite'}" if kind == "sqlite" else _postgres_url()
    if _visit_count(url) >= visits:
        return url
    url = fresh_database(kind, "exports")
    households_per_grid = -(-visits // (VISITS_PER_HOUSEHOLD * TOWNSHIPS * VILLAGES * GRIDS))
    app = make_app(url)
    started = time.perf_counter()
    with app.app_context():
        grids = _insert_areas(households_per_grid)
        round_id, workers = _insert_people(grids)
        households = _insert_households(grids, households_per_grid)
        _insert(Visit.__table__, _visit_rows(households, round_id, workers, visits))
        db.session.commit()
    vacuum(url)
    row(f"build {visits:,} visits, {len(households):,} households", f"{time.perf_counter() - started:.0f} s",
        "(setup, no target)")
    return url


def _postgres_url() -> str:
    from .common import PG_ADMIN_URL
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/bench_exports"


def _visit_count(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.select(sa.func.count()).select_from(Visit.__table__)) or 0
    except sa.exc.SQLAlchemyError:
        return 0
    finally:
        engine.dispose()


def export_once(url: str, target: Path) -> dict:
    """In this process: log in as the county office and download every visit through the route."""
    app = make_app(url)
    client = app.test_client()
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    before = _peak_mb()
    started = time.perf_counter()
    response = client.get(f"/coverage/{COUNTY}/visits/export.xlsx", buffered=False)
    assert response.status_code == 200, response.status_code
    with target.open("wb") as out:
        for chunk in response.response:
            out.write(chunk)
    response.close()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "bytes": target.stat().st_size, "peak_mb": _peak_mb(), "before_mb": before}


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rows_in(path: Path) -> int:
    """Data rows of the first sheet, read from its autofilter's range without loading the sheet."""
    with zipfile.ZipFile(path) as archive, archive.open("xl/worksheets/sheet1.xml") as sheet:
        tail = b""
        for chunk in iter(lambda: sheet.read(1 << 20), b""):
            tail = (tail + chunk)[-4096:]
    return int(re.search(rb'<autoFilter ref="A1:[A-Z]+(\d+)"', tail).group(1)) - 1


def measure(kind: str, url: str) -> dict:
    target = OUT / f"visits-{kind}.xlsx"
    child = subprocess.run([sys.executable, "-m", "bench.exports", "--child", url, str(target)],
                           capture_output=True, text=True, check=True, cwd=Path(__file__).parent.parent)
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    figures["rows"] = _rows_in(target)
    target.unlink()
    return figures


def run(kinds: list[str], visits: int = 1_000_000) -> None:
    for kind in kinds:
        print(f"\n[XLSX export of every visit of a county · {kind}]")
        url = build(kind, visits)
        figures = measure(kind, url)
        row(f"export {figures['rows']:,} visits through the route", f"{figures['seconds']:.1f} s",
            f"target < {TARGET_SECONDS} s", figures["seconds"] < TARGET_SECONDS)
        row("  peak memory of the process (app included)", f"{figures['peak_mb']:.0f} MB",
            f"target < {TARGET_MB} MB (before the export {figures['before_mb']:.0f} MB)",
            figures["peak_mb"] < TARGET_MB)
        row("  file size", f"{figures['bytes'] / 1e6:.1f} MB",
            f"{figures['rows'] / figures['seconds']:,.0f} rows/s")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.exports", description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=2, metavar=("URL", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(export_once(args.child[0], Path(args.child[1]))))
        return
    kinds = ["sqlite", "postgres"] if args.db == "all" else [args.db]
    if "postgres" in kinds and not postgres_reachable():
        kinds.remove("postgres")
        print("PostgreSQL not reachable: SQLite only")
    run(kinds, args.visits)


if __name__ == "__main__":
    main()
