"""The phone page as an app (issue 14): a manifest Chromium accepts for installing (asked through the DevTools
protocol), touch targets of at least 44 × 44 CSS px and readable text (axe-core's color-contrast rule) on the
phone and log-in pages, the icons, and static files compressed and cached by their content."""
from __future__ import annotations

import gzip
import json
import re
from datetime import timedelta

import brotli
import pytest
from axe_playwright_python.sync_playwright import Axe

from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.warnings import services as warnings
from campaign.warnings.models import Level, WarningOutcome

from . import factories
from .browser import ARGS, CHROMIUM, log_in, phone

TARGET_PX = 44
CONTROLS = "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [role=tab]"

# Every visible control smaller than the target. A check box's or switch's label is part of its target (a tap on
# it toggles the box), so the two are measured together.
SMALL_TARGETS = """([selector, target]) => {
  const small = [];
  for (const element of document.querySelectorAll(selector)) {
    const style = getComputedStyle(element);
    if (!element.getClientRects().length || style.visibility === 'hidden') continue;
    const rects = [element.getBoundingClientRect()];
    if (element.type === 'checkbox' || element.type === 'radio') {
      for (const label of element.labels || []) rects.push(label.getBoundingClientRect());
    }
    const left = Math.min(...rects.map((r) => r.left)), right = Math.max(...rects.map((r) => r.right));
    const top = Math.min(...rects.map((r) => r.top)), bottom = Math.max(...rects.map((r) => r.bottom));
    if (right - left < target - 0.5 || bottom - top < target - 0.5) {
      const name = (element.textContent || element.value || element.getAttribute('aria-label') || '').trim();
      small.push(`${element.tagName.toLowerCase()}#${element.id}.${element.className} `
                 + `${Math.round(right - left)}×${Math.round(bottom - top)} "${name.slice(0, 30)}"`);
    }
  }
  return small;
}"""


@pytest.fixture
def round_county(app):
    """A county with a round in progress and, for worker_a, one open warning and one closed an hour ago."""
    with app.app_context():
        county = factories.small_county()
        factories.RoundFactory(area=county.root, name="冬季敲门行动")
        worker = county.worker_a
        for resident, closed in (("王某某", False), ("李某某", True)):
            warning = warnings.create_warning(area=county.village_a, resident=resident, level=Level.MEDIUM,
                                              phone="139 1234 5678", received_at=utcnow() - timedelta(hours=2))
            warnings.assign(warning, worker=worker)
            if closed:
                warnings.close(warning, outcome=WarningOutcome.FALSE_ALARM, loss_prevented=None,
                               at=utcnow() - timedelta(hours=1))
        db.session.commit()


def open_walk(page, base: str) -> None:
    """The walk list, with the service worker installed and in control."""
    page.goto(base + "/visits/")
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("() => navigator.serviceWorker.controller !== null"):
        page.reload()
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_selector("#sections [data-household]")


def assert_usable(page, where: str) -> None:
    """Targets big enough, and no text below 4.5:1 against what is behind it."""
    small = page.evaluate(SMALL_TARGETS, [CONTROLS, TARGET_PX])
    results = Axe().run(page, options={"runOnly": {"type": "rule", "values": ["color-contrast"]}})
    assert (small, results.violations_count) == ([], 0), (
        f"{where}: targets smaller than {TARGET_PX}×{TARGET_PX} px:\n" + "\n".join(small) + "\n"
        + results.generate_report())


@pytest.fixture
def worker_phone(live_server, browser, round_county):
    context = phone(browser)
    page = context.new_page()
    log_in(page, live_server, "worker_a")
    open_walk(page, live_server)
    yield context, page, live_server
    context.close()


@pytest.fixture
def profile(live_server, round_county, tmp_path, _playwright):
    """A phone with a profile on disk: Chromium offers no installing in a throw-away (incognito) context."""
    context = _playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=ARGS, viewport={"width": 390, "height": 844},
        is_mobile=True, has_touch=True, locale="zh-CN")
    yield context, live_server
    context.close()


def test_chromium_reads_the_manifest_and_finds_the_phone_page_installable(profile):
    context, base = profile
    page = context.new_page()
    log_in(page, base, "worker_a")
    open_walk(page, base)
    cdp = context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"] == base + "/manifest.webmanifest"
    assert manifest["errors"] == []
    data = json.loads(manifest["data"])
    assert (data["name"], data["start_url"], data["scope"], data["display"]) == (
        "无诈创建台账", "/visits/", "/", "standalone")
    assert {(icon["sizes"], icon["purpose"]) for icon in data["icons"]} == {
        ("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    installability = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    if any("service-worker" in error["errorId"] for error in installability) and \
            context.request.get(base + "/sw.js").status == 404:
        pytest.xfail("the service worker at /sw.js (scope /) has not landed yet")
    assert installability == []


def test_every_control_on_the_phone_page_is_big_enough_and_its_text_readable(worker_phone):
    context, page, _base = worker_phone
    page.wait_for_selector("#warnings .warning-card")
    assert_usable(page, "walk list with warnings")

    page.locator("#sections [data-household]").first.click()
    page.click("#visit-form [data-outcome=not_home]")  # the outline-warning button, chosen
    assert_usable(page, "visit form")
    context.set_offline(True)
    page.click("#save")  # offline: a toast, and the household waits with its mark and its not-home badge
    page.wait_for_selector("#toast", state="visible")
    assert_usable(page, "walk list with a toast and a visit waiting")
    page.mouse.wheel(0, 2000)
    toast = page.evaluate("""() => { const box = document.getElementById('toast').getBoundingClientRect();
        const style = getComputedStyle(document.getElementById('toast'));
        return {position: style.position, z: Number(style.zIndex), top: box.top, bottom: box.bottom,
                height: innerHeight}; }""")
    assert toast["position"] == "fixed" and toast["z"] > 1050  # above the page and its open forms (1050)
    assert toast["height"] - 100 < toast["bottom"] <= toast["height"], toast  # at the bottom, whatever the scroll
    context.set_offline(False)

    page.locator("#warnings .warning-card button[data-close]").first.click()
    page.wait_for_selector("#warning-form", state="visible")
    assert_usable(page, "warning form")
    page.click("#warning-form-close")

    page.click("nav .navbar-toggler")
    page.wait_for_selector("#nav.show")
    assert_usable(page, "menu open")


def test_log_in_page_is_big_enough_and_readable(live_server, browser):
    context = phone(browser)
    page = context.new_page()
    page.goto(live_server + "/login")
    assert_usable(page, "log-in page")
    page.click("nav .navbar-toggler")
    page.wait_for_selector("#nav.show")
    assert_usable(page, "log-in page, menu open")
    context.close()


def test_phone_page_fetches_its_files_compressed_and_cached_for_good(worker_phone):
    context, _page, base = worker_phone
    page = context.new_page()
    seen = []
    page.on("response", lambda response: seen.append(response) if "/static/" in response.url else None)
    page.goto(base + "/visits/")
    page.wait_for_selector("#sections [data-household]")
    assert seen
    for response in seen:
        headers = response.all_headers()
        assert "?v=" in response.url, response.url
        assert headers["cache-control"] == "public, max-age=31536000, immutable", response.url
        if re.search(r"\.(css|js|svg)\?", response.url):
            assert headers.get("content-encoding") in ("br", "gzip"), response.url


def test_manifest_in_english_and_icons_with_their_types(client):
    manifest = client.get("/manifest.webmanifest?lang=en")
    assert manifest.mimetype == "application/manifest+json"
    data = manifest.get_json(force=True)
    assert data["name"] == "Fraud-free campaign ledger" and data["id"] == "/visits/"
    for icon in data["icons"]:
        response = client.get(icon["src"])
        assert (response.status_code, response.mimetype) == (200, "image/png"), icon["src"]
        width, _, height = icon["sizes"].partition("x")
        assert response.data[16:24] == int(width).to_bytes(4, "big") + int(height).to_bytes(4, "big")  # PNG IHDR
    favicon = client.get("/favicon.ico")
    assert (favicon.status_code, favicon.mimetype, favicon.data[:4]) == (200, "image/x-icon", b"\0\0\1\0")
    page = client.get("/login").get_data(as_text=True)
    for rel in ("manifest", "apple-touch-icon"):
        href = re.search(rf'<link rel="{rel}" href="([^"]+)"', page).group(1)
        assert client.get(href).status_code == 200, rel
    assert '<meta name="theme-color" content="#b3261e">' in page


def test_static_files_are_compressed_only_for_clients_that_ask(client):
    page = client.get("/login").get_data(as_text=True)
    url = re.search(r'href="(/static/vendor/bootstrap/bootstrap\.min\.css\?v=[0-9a-f]{10})"', page).group(1)
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers and plain.headers["Vary"] == "Accept-Encoding"
    assert plain.data.startswith(b"@charset") or b"bootstrap" in plain.data[:200]
    br = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert br.headers["Content-Encoding"] == "br" and brotli.decompress(br.data) == plain.data
    gz = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip" and gzip.decompress(gz.data) == plain.data
    assert len(br.data) < len(gz.data) < len(plain.data) / 5
    assert plain.headers["X-Wuzha-App"] == "1"


def test_static_files_are_cached_for_a_year_only_under_their_own_version(client):
    page = client.get("/login").get_data(as_text=True)
    url = re.search(r'src="(/static/js/app\.js\?v=[0-9a-f]{10})"', page).group(1)
    assert client.get(url).headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for other in ("/static/js/app.js", "/static/js/app.js?v=0123456789"):  # no version, or an older one
        response = client.get(other)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache", other
    etag = client.get("/static/js/app.js").headers["ETag"]
    assert client.get("/static/js/app.js", headers={"If-None-Match": etag}).status_code == 304


def test_pages_and_json_are_compressed_for_the_apps_own_requests_only(client, auth, county):
    auth.login("worker_a")
    asked = {"Accept-Encoding": "br, gzip"}
    assert "Content-Encoding" not in client.get("/visits/").headers
    response = client.get("/visits/", headers=asked)
    assert response.headers["Content-Encoding"] == "br" and "Accept-Encoding" in response.headers["Vary"]
    assert "<html" in brotli.decompress(response.data).decode()
    api = client.get("/api/v1/openapi.json", headers={**asked, "Sec-Fetch-Site": "same-origin"})
    assert api.headers["Content-Encoding"] == "br" and json.loads(brotli.decompress(api.data))["paths"]
    # another site making the browser ask (BREACH): answered plainly
    cross = client.get("/visits/", headers={**asked, "Sec-Fetch-Site": "cross-site"})
    assert "Content-Encoding" not in cross.headers and "<html" in cross.get_data(as_text=True)
