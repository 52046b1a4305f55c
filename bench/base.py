"""Issue 2: demo build time (county, city) and the area tree at city scale."""
from __future__ import annotations

import sqlalchemy as sa

from campaign.areas.models import Area, AreaLevel
from campaign.demo.builder import build_demo

from .common import db, fresh_database, make_app, row, sample, timed, vacuum


def build(kind: str, scale: str) -> tuple[str, float, int]:
    url = fresh_database(kind, scale)
    app = make_app(url)
    with app.app_context(), timed() as clock:
        summary = build_demo(scale=scale, seed=2026)
        db.session.commit()
    vacuum(url)
    return url, clock["seconds"], summary.households


def tree_pages(url: str) -> dict[str, dict[str, float]]:
    app = make_app(url)
    with app.app_context():
        root = db.session.scalar(sa.select(Area).where(Area.parent_id.is_(None)).order_by(Area.code))
        township = db.session.scalar(sa.select(Area.code).where(Area.level == AreaLevel.TOWNSHIP)
                                     .order_by(Area.household_count.desc()).limit(1))
        county = db.session.scalar(sa.select(Area.code).where(Area.level == AreaLevel.COUNTY)
                                   .order_by(Area.household_count.desc()).limit(1))
    client = app.test_client()
    client.post("/login", data={"username": "admin", "password": "Wuzha@2026"})

    def get(url_path):
        def call():
            response = client.get(url_path)
            assert response.status_code == 200, (url_path, response.status_code)
        return call

    return {
        f"tree root ({root.name})": sample(get(f"/areas/{root.code}"), 30),
        f"branch opened ({county})": sample(get(f"/areas/{county}/children"), 30),
        f"township page ({township})": sample(get(f"/areas/{township}"), 30),
    }


def run(kinds: list[str], scales: list[str]) -> dict[str, str]:
    """Returns the city database URL per kind, for later benchmarks to reuse."""
    targets = {"county": 15.0, "city": 600.0}
    city_urls = {}
    for kind in kinds:
        print(f"\n[areas and households · {kind}]")
        for scale in scales:
            url, seconds, households = build(kind, scale)
            row(f"demo build, {scale} ({households:,} households)", f"{seconds:.1f} s",
                f"target < {targets[scale]:.0f} s", seconds < targets[scale])
            if scale == "city":
                city_urls[kind] = url
        if kind in city_urls:
            for label, figures in tree_pages(city_urls[kind]).items():
                row(label, f"{figures['median_ms']:.1f} ms", f"median, target < 200 ms (max {figures['max_ms']:.0f})",
                    figures["median_ms"] < 200)
    return city_urls
