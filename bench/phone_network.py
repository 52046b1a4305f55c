"""Issue 14: the phone page on a slow network. The county demo is served by gunicorn (2 workers) behind
bench/netproxy.py at 1.6 Mbit/s each way with 150 ms round trips (everything crosses it: pages, files, API
calls, and the service worker's own fetches), and Debian's Chromium, as a phone, logs in as the demo worker and
opens /visits/ until the walk list's rows show:

- cold: a new browser context (no HTTP cache, no service worker, no stored data), logged in with a bare form
  post so that the log-in page caches nothing;
- warm: a second open in the same context, once the service worker has installed;
- bytes: what crossed the link for the cold open (response and request bytes, HTTP headers included), until
  the rows show and once the page and its service worker are done.

The floor is the time the same bytes need on that link: their transfer time at 1.6 Mbit/s plus one round trip
per step that must wait for the one before (the page; its stylesheets and scripts; the API calls the scripts
make, first the session, then the walk lists). The proxy accepts connections itself, so opening one costs no
round trip here, as if the phone kept its connections open.

Two controls beside them: a cold open with service workers blocked (what the worker's installation costs the
first open), and both opens through the proxy unthrottled (what the machine itself takes: server, browser,
scripts). On a busy machine the latter, not the link, can be most of the time: print the load average with it.
"""
from __future__ import annotations

import os
import re
import statistics
import time
from urllib.parse import urlsplit

from campaign.demo.builder import DEMO_PASSWORD, build_demo

from .common import db, fresh_database, make_app, row
from .http import gunicorn
from .netproxy import NetProxy

PORT = 5126
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
RATE_BPS, RTT_MS = 1_600_000, 150
RUNS = 5
TARGET_COLD_S, TARGET_WARM_S, TARGET_BYTES = 2.0, 0.8, 120 * 1024
ROWS = "#sections [data-household]"
STEPS_COLD = 4  # page → its files → /api/v1/session → the walk lists


def floor_seconds(bytes_down: int, steps: int) -> float:
    return bytes_down * 8 / RATE_BPS + steps * RTT_MS / 1000


def log_in(context, base: str) -> None:
    """The demo worker's session cookie, from a bare form post: no page, so no file lands in the cache."""
    page = context.request.get(base + "/login").text()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = context.request.post(base + "/login", form={"csrf_token": token, "username": "worker",
                                                         "password": DEMO_PASSWORD}, max_redirects=0)
    assert answer.status == 302, f"log-in failed ({answer.status})"


def open_walk(page, base: str) -> float:
    began = time.perf_counter()
    page.goto(base + "/visits/", wait_until="commit")
    page.wait_for_selector(ROWS, timeout=60_000)
    return time.perf_counter() - began


def settle(page, proxy: NetProxy, quiet_s: float = 1.0) -> None:
    """Until the service worker controls the page and nothing crossed the link for ``quiet_s``."""
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=60_000)
    last, since = -1, time.monotonic()
    while time.monotonic() - since < quiet_s:
        now = proxy.bytes_down + proxy.bytes_up
        if now != last:
            last, since = now, time.monotonic()
        time.sleep(0.1)


def new_phone(browser, **extra):
    return browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                               device_scale_factor=2, locale="zh-CN", timezone_id="Asia/Shanghai",
                               geolocation={"latitude": 33.4, "longitude": 108.3}, permissions=["geolocation"],
                               **extra)


def cold_without_service_worker(browser, base: str) -> float:
    """A cold open with no service worker installing meanwhile: what its installation costs the first open."""
    context = new_phone(browser, service_workers="block")
    try:
        log_in(context, base)
        return open_walk(context.new_page(), base)
    finally:
        context.close()


def one_run(browser, base: str, proxy: NetProxy, resources: list | None) -> dict:
    context = new_phone(browser)
    try:
        log_in(context, base)
        def collect(request):
            resources.append(_resource(request))

        if resources is not None:
            context.on("requestfinished", collect)
        page = context.new_page()
        proxy.reset_counters()
        cold = open_walk(page, base)
        cold_down, cold_up = proxy.bytes_down, proxy.bytes_up
        settle(page, proxy)
        total_bytes = proxy.bytes_down + proxy.bytes_up
        if resources is not None:
            resources.append(None)  # the warm open follows
        page.close()
        warm_page = context.new_page()
        proxy.reset_counters()
        warm = open_walk(warm_page, base)
        warm_down = proxy.bytes_down
        warm_bytes = proxy.bytes_down + proxy.bytes_up
        if resources is not None:
            settle(warm_page, proxy)
            context.remove_listener("requestfinished", collect)
        return {"cold": cold, "warm": warm, "cold_bytes": cold_down + cold_up, "cold_down": cold_down,
                "cold_up": cold_up, "total_bytes": total_bytes, "warm_bytes": warm_bytes, "warm_down": warm_down}
    finally:
        context.close()


def _times(label: str, values: list[float], floor: float, target: float) -> None:
    text = f"{min(values):.2f}/{statistics.median(values):.2f}/{max(values):.2f} s"
    row(label, text, f"min/median/max · floor {floor:.2f} s · target < {target} s", max(values) < target)


def _spread(label: str, values: list[float]) -> None:
    row(label, f"{min(values):.2f}/{statistics.median(values):.2f}/{max(values):.2f} s", "min/median/max")


def _kb(value: float) -> str:
    return f"{value / 1024:.0f} KB"


def _resource(request) -> tuple[str, str, float, str, float, float]:
    """Who asked (the page or the service worker), what, its size on the link, its encoding, and when it was
    asked and answered (ms since the open began)."""
    sizes = request.sizes()
    timing = request.timing
    response = request.response()
    path = urlsplit(request.url)
    name = path.path + ("?" + path.query if path.query and not path.query.startswith("v=") else "")
    who = "sw" if request.service_worker else "page"
    encoding = response.headers.get("content-encoding", "-") if response else "?"
    status = response.status if response else 0
    size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
    return who, f"{name} ({status})", size, encoding, timing["startTime"], timing["responseEnd"]


def _show_resources(resources: list) -> None:
    split = resources.index(None)
    for title, part in (("a cold open, with the service worker's installation", resources[:split]),
                        ("the warm open that follows", resources[split + 1:])):
        print(f"  what {title} fetched (size: headers + body as sent; ms: asked → answered):")
        began = min(start for *_, start, _end in part)
        for who, name, size, encoding, start, end in sorted(part, key=lambda r: r[-2]):
            print(f"    {who:<4} {name[:56]:<56} {size / 1024:6.1f} KB  {encoding:<2} {start - began:6.0f} → "
                  f"{start - began + end:6.0f}")


def run() -> None:
    from playwright.sync_api import sync_playwright

    print(f"\n[phone page at {RATE_BPS / 1e6:.1f} Mbit/s, {RTT_MS} ms round trips · gunicorn · sqlite county demo]"
          "  load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    url = fresh_database("sqlite", "phone_network")
    with make_app(url).app_context():
        build_demo(scale="county", seed=2026)
        db.session.commit()
    with gunicorn(url, PORT), NetProxy(PORT, rate_bps=RATE_BPS, rtt_ms=RTT_MS) as proxy, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        base = proxy.url
        warm_up = one_run(browser, base, proxy, None)  # the workers' first pages (templates compiled): not counted
        resources = []
        runs = [one_run(browser, base, proxy, None if n else resources) for n in range(RUNS)]
        no_worker = [cold_without_service_worker(browser, base) for _ in range(RUNS)]
        with NetProxy(PORT) as fast:  # no throttling: what the machine itself takes (server, browser)
            unthrottled = [one_run(browser, fast.url, fast, None) for _ in range(RUNS)]
        browser.close()
    _show_resources(resources)
    cold_bytes = statistics.median(r["cold_bytes"] for r in runs)
    total_bytes = statistics.median(r["total_bytes"] for r in runs)
    cold_floor = floor_seconds(statistics.median(r["cold_down"] for r in runs), STEPS_COLD)
    warm_down = statistics.median(r["warm_down"] for r in runs)
    warm_floor = floor_seconds(warm_down, 1 if warm_down else 0)  # the page itself, asked of the network first
    _times(f"cold open until the rows show ({RUNS} runs)", [r["cold"] for r in runs], cold_floor, TARGET_COLD_S)
    _times("warm open (service worker installed)", [r["warm"] for r in runs], warm_floor, TARGET_WARM_S)
    _spread("  cold, no service worker installing meanwhile", no_worker)
    _spread("  cold, unthrottled (the machine's own time)", [r["cold"] for r in unthrottled])
    _spread("  warm, unthrottled", [r["warm"] for r in unthrottled])
    cold_up = statistics.median(r["cold_up"] for r in runs)
    row("bytes on the link, cold, until the rows show", _kb(cold_bytes),
        f"median, {_kb(cold_up)} of it requests · target < {_kb(TARGET_BYTES)}", cold_bytes < TARGET_BYTES)
    row("… and once the service worker has installed", _kb(total_bytes), "median")
    row("bytes on the link, warm", _kb(statistics.median(r["warm_bytes"] for r in runs)), "median")
    row("  (first open after the start, not counted)", f"{warm_up['cold']:.2f} s", "")
    print("  load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    run()
