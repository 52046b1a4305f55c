"""Issue 6: the map of an area, its weight and its draw time in headless Chromium (nothing outside
127.0.0.1 reachable: the page and the app's static files are served from here, tiles are refused).

    python -m bench.maps sqlite:///bench/out/city.sqlite 4116     # any database and area code
"""
from __future__ import annotations

import mimetypes
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from campaign.accounts.models import Role, User
from campaign.areas.models import Area
from campaign.core.clock import local_today
from campaign.maps.compose import map_for
from campaign.rounds.services import current_round

from .common import db, make_app, row

STATIC = Path(__file__).resolve().parent.parent / "static"
CHROMIUM = "/usr/bin/chromium"
DRAWN = """() => new Promise(done => { const check = () => {
  const layers = typeof L === 'undefined' ? [] : Object.values(window).filter(v => v instanceof L.GeoJSON && v._map);
  if (layers.length && document.querySelector('.leaflet-overlay-pane canvas')) {
    requestAnimationFrame(() => requestAnimationFrame(() =>
      done(layers.reduce((n, l) => n + l.getLayers().length, 0))));
  } else setTimeout(check, 10); }; check(); })"""


def map_html(url: str, code: str) -> tuple[str, float]:
    app = make_app(url)
    with app.test_request_context():
        area = db.session.scalar(sa.select(Area).where(Area.code == code))
        user = db.session.scalar(sa.select(User).join(User.area).where(User.role == Role.COUNTY)
                                 .order_by(sa.func.length(Area.code)).limit(1))
        today = local_today()
        started = time.perf_counter()
        html = map_for(area, user, round_=current_round(code), start=today.replace(month=1, day=1), end=today,
                     config=app.config).get_root().render()
        return html, time.perf_counter() - started


def draw_seconds(html: str, runs: int = 3) -> tuple[float, int]:
    from playwright.sync_api import sync_playwright

    def serve(route):
        if not route.request.url.startswith("http://127.0.0.1/"):
            route.abort()  # tiles and anything else outside
            return
        path = route.request.url[len("http://127.0.0.1"):]
        if path.startswith("/static/"):
            file = STATIC / path[len("/static/"):].split("?")[0]
            route.fulfill(body=file.read_bytes(), content_type=mimetypes.guess_type(file.name)[0] or "text/plain")
        elif path == "/map":
            route.fulfill(body=html, content_type="text/html; charset=utf-8")
        else:
            route.abort()

    times, drawn = [], 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.route("**/*", serve)
            page = context.new_page()
            started = time.perf_counter()
            page.goto("http://127.0.0.1/map", wait_until="commit")
            drawn = page.evaluate(DRAWN)
            times.append(time.perf_counter() - started)
            context.close()
        browser.close()
    return statistics.median(times), drawn


def run(targets: list[tuple[str, str, str]]) -> None:
    """``targets``: (label, database URL, area code)."""
    print("\n[maps]")
    for label, url, code in targets:
        html, build_s = map_html(url, code)
        seconds, drawn = draw_seconds(html)
        row(f"{label}: map HTML and data", f"{len(html.encode()) / 1e6:.2f} MB", "target < 3 MB",
            len(html.encode()) < 3e6)
        row(f"{label}: built by the app", f"{build_s:.2f} s")
        row(f"{label}: drawn in Chromium ({drawn:,} features)", f"{seconds:.2f} s", "median of 3, target < 3 s",
            seconds < 3)


if __name__ == "__main__":
    run([(f"area {sys.argv[2]}", sys.argv[1], sys.argv[2])])
