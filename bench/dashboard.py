"""Issue 15: the home page (dashboard) at city scale, as the city office and as a township official, through
the test client, in a fresh process each (its series of the trend counted once, then kept); beside the
plain-SQL floor: the tallies summed for the area and by sub-area, and the open warnings counted.

    python -m bench.dashboard                          # bench/out/city.sqlite (built with its visits when missing)
    python -m bench.dashboard <database URL> ...
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import sqlalchemy as sa

from campaign.accounts.models import Role, User
from campaign.accounts.services import create_user
from campaign.areas.models import Area, AreaLevel
from campaign.demo.builder import DEMO_PASSWORD
from campaign.main import trend
from campaign.rounds.models import Round
from campaign.visits.models import Visit

from .common import OUT, db, make_app, migrated, row

RUNS = 15
TARGET_MS = 500
OFFICIAL = "bench_township"


def timings(fn, runs: int = RUNS) -> dict[str, float]:
    """Min, median and max of ``runs`` calls, in milliseconds (no warm-up: call it first yourself)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return {"min": min(times), "median": statistics.median(times), "max": max(times)}


def spread(t: dict[str, float]) -> str:
    return f"{t['min']:.0f} / {t['median']:.0f} / {t['max']:.0f} ms"


def _township_official(url: str) -> tuple[str, str]:
    """An official of the township with most households (made once), and its name."""
    with make_app(url).app_context():
        town = db.session.scalar(sa.select(Area).where(Area.level == AreaLevel.TOWNSHIP)
                                 .order_by(Area.household_count.desc()).limit(1))
        if db.session.scalar(sa.select(User.id).where(User.username == OFFICIAL)) is None:
            create_user(username=OFFICIAL, display_name="基准乡镇干部", role=Role.OFFICIAL, area=town,
                        password=DEMO_PASSWORD)
            db.session.commit()
        return town.name, f"{town.household_count:,}"


def _floor(url: str) -> dict[str, float]:
    """The same figures in plain SQL: the city's tallies, summed whole and by township, and its open
    warnings with the overdue among them (what the page cannot do with less)."""
    app = make_app(url)
    with app.app_context():
        root = db.session.scalar(sa.select(Area).where(Area.parent_id.is_(None)))
        round_id = db.session.scalar(sa.select(Round.id).order_by(Round.starts_on.desc()).limit(1))
        params = {"r": round_id, "p": root.code, "q": root.code + ":"}
        sums = ("SUM(t.reached), SUM(t.not_home), SUM(t.refused), SUM(t.vacant), SUM(t.visits), SUM(t.flagged), "
                "SUM(t.far), SUM(t.no_fix), SUM(t.too_fast), SUM(t.untrusted_time)")
        whole = sa.text(f"SELECT {sums} FROM grid_tally t JOIN area a ON a.id = t.grid_id "
                        "WHERE t.round_id = :r AND a.code >= :p AND a.code < :q")
        by_township = sa.text(f"SELECT substr(a.code, 1, 9), {sums} FROM grid_tally t JOIN area a ON a.id = t.grid_id "
                              "WHERE t.round_id = :r AND a.code >= :p AND a.code < :q GROUP BY substr(a.code, 1, 9)")
        warned = sa.text("SELECT COUNT(*) FROM fraud_warning w JOIN area a ON a.id = w.area_id "
                         "WHERE w.closed_at IS NULL AND a.code >= :p AND a.code < :q")

        def plain():
            for query in (whole, by_township, warned):
                db.session.execute(query, params).all()

        plain()
        return timings(plain)


def child(url: str) -> None:
    """One fresh process: the first page, the time the trend's background count takes, then warm pages."""
    app = make_app(url)
    with app.app_context():
        visits = db.session.scalar(sa.select(sa.func.count()).select_from(Visit))
    print(f"  {visits:,} visits; load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    for who, label in (("admin", "city office"), (OFFICIAL, "township official")):
        client = app.test_client()
        response = client.post("/login", data={"username": who, "password": DEMO_PASSWORD})
        assert response.status_code == 302, (who, response.status_code)
        started = time.perf_counter()
        page = client.get("/")
        first = (time.perf_counter() - started) * 1000
        assert page.status_code == 200
        pending = b'hx-get="/home/trend"' in page.data
        started = time.perf_counter()
        trend.wait_counting(600)
        counted = time.perf_counter() - started
        if pending:
            card = client.get("/home/trend")
            assert b'data-chart="trend"' in card.data, "the trend was not counted"
        t = timings(lambda c=client: c.get("/"))
        how = f"its trend counted apart in {counted:.1f} s" if pending else "its trend counted in the request"
        row(f"{label}: GET /, first in the process", f"{first:.0f} ms", how)
        row(f"{label}: GET /, min / median / max", spread(t), f"target < {TARGET_MS} ms", t["median"] < TARGET_MS)
        if who == "admin":
            t = timings(lambda c=client: c.get("/home/trend"))
            row(f"{label}: GET /home/trend (the trend's card)", spread(t))


def run(urls: dict[str, str]) -> None:
    """``urls``: the city database per kind (sqlite, postgres), its visits loaded."""
    for kind, url in urls.items():
        print(f"\n[home page (dashboard) at city scale · {kind}]")
        town, households = _township_official(url)
        print(f"  township official: {town}, {households} households", flush=True)
        subprocess.run([sys.executable, "-m", "bench.dashboard", "--child", url], check=True,
                       cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        t = _floor(url)
        row("plain-SQL floor (tallies, by township, warnings)", spread(t))


def default_urls() -> dict[str, str]:
    from . import base, visits

    city = OUT / "city.sqlite"
    url = f"sqlite:///{city}"
    if not city.exists():
        base.build("sqlite", "city")
    visits.load_visits(migrated(url))
    return {"sqlite": url}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2])
    else:
        args = sys.argv[1:]
        run({("postgres" if u.startswith("postgresql") else "sqlite"): u for u in args} if args else default_urls())
