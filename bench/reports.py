"""Issue 7: progress reports (通报) of a township, the county and the city, as PDF and workbook,
with each stage printed as it begins (what the report page shows while it waits).

    python -m bench.reports                       # the bench databases, built when missing
    python -m bench.reports <county URL> <city URL>
"""
from __future__ import annotations

import sys
import time
from datetime import date

import sqlalchemy as sa

from campaign.areas.models import Area, AreaLevel
from campaign.core.clock import local_today
from campaign.jobs import runner
from campaign.reports.services import make_report

from . import base, visits
from .common import OUT, db, make_app, row

TARGETS = {"township": 3.0, "county": 10.0, "city": 30.0}


def _largest(level: AreaLevel) -> str:
    return db.session.scalar(sa.select(Area.code).where(Area.level == level)
                             .order_by(Area.household_count.desc()).limit(1))


def time_report(url: str, code: str, fmt: str, start: date, end: date, *, verbose: bool = False) -> tuple[float, int]:
    app = make_app(url)
    with app.app_context():
        area = db.session.scalar(sa.select(Area).where(Area.code == code))
        began = time.perf_counter()

        def show(progress: runner.Progress) -> None:
            if verbose:
                at = time.perf_counter() - began
                print(f"      {at:5.1f} s  [{progress.done + 1}/{progress.total}] {progress.step}", flush=True)

        with runner.watching(show):
            made = make_report(area, start, end, fmt)
        return time.perf_counter() - began, len(made.data)


def run(places: list[tuple[str, str, str]]) -> None:
    """``places``: (label, database URL, area code)."""
    print("\n[progress reports (通报) · sqlite]")
    end = local_today()
    start = date(end.year, 1, 1)
    for label, url, code in places:
        scale = label.split()[0]
        first, size = time_report(url, code, "pdf", start, end, verbose=scale == "city")
        seconds, size = time_report(url, code, "pdf", start, end)
        row(f"{label} report, PDF", f"{seconds:.1f} s",
            f"{size / 1e6:.1f} MB, first in the process {first:.1f} s, target < {TARGETS[scale]:.0f} s",
            max(first, seconds) < TARGETS[scale])
        seconds, size = time_report(url, code, "xlsx", start, end)
        row(f"{label} report, workbook", f"{seconds:.1f} s", f"{size / 1e3:.0f} KB", seconds < TARGETS[scale])


def default_places() -> list[tuple[str, str, str]]:
    county, city = OUT / "county.sqlite", OUT / "city.sqlite"
    if not county.exists():
        base.build("sqlite", "county")
    if not city.exists():
        base.build("sqlite", "city")
    city_url = f"sqlite:///{city}"
    visits.load_visits(city_url)
    return places_in(f"sqlite:///{county}", city_url)


def places_in(county_url: str, city_url: str | None) -> list[tuple[str, str, str]]:
    with make_app(county_url).app_context():
        township = _largest(AreaLevel.TOWNSHIP)
        name = db.session.scalar(sa.select(Area.name).where(Area.code == township))
    county = [(f"township ({name})", county_url, township), ("county (宁陕县)", county_url, "610923")]
    if city_url is None:
        return county
    with make_app(city_url).app_context():
        city = db.session.scalar(sa.select(Area).where(Area.parent_id.is_(None)))
        townships = db.session.scalar(sa.select(sa.func.count()).select_from(Area)
                                      .where(Area.level == AreaLevel.TOWNSHIP))
        city_label = f"city ({city.name}, {townships} townships)"
    return [*county, (city_label, city_url, city.code)]


if __name__ == "__main__":
    run(places_in(*sys.argv[1:3]) if len(sys.argv) > 2 else default_places())
