"""Maps whose colours mean one thing: the palettes, one legend per layer, village names from township
zoom on, and a worker's households by status, checked on the builders and in real Chromium."""
import re
from datetime import date
from itertools import combinations

import pytest
import sqlalchemy as sa
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from campaign.accounts.models import User
from campaign.areas.models import Area
from campaign.creation import services as creation
from campaign.creation.models import TargetKind
from campaign.extensions import db
from campaign.maps import layers, palettes
from campaign.maps.builders import page
from campaign.maps.compose import map_for
from campaign.maps.tiles import provider
from campaign.rounds.models import Round
from campaign.visits.models import Outcome
from campaign.visits.services import record_visits

from . import factories, visiting
from .browser import log_in

SAME = provider({"MAP_TILES": "none"}).shift


@pytest.fixture
def county(app):
    """城南社区 (4 households, worker_a's: one reached, one not home, one refused, one not visited) with a
    certified target; 四亩地村 a little to the north-east, with all of its 2 households reached."""
    with app.app_context():
        c = factories.small_county()
        c.village_b.lat, c.village_b.lon = 33.35, 108.35
        for i, household in enumerate(c.households_a):
            household.lat, household.lon = 33.3 + i * 0.002, 108.3 + i * 0.002
        round_ = factories.RoundFactory(area=c.root)
        c.worker_a.grids = [c.grid_a1, c.grid_a2]
        visits = zip(c.households_a[:3], ["reached", "not_home", "refused"], strict=True)
        record_visits(worker=c.worker_a, items=[visiting.visit(h, round_.id, outcome=o, minutes=10 * i)
                                                for i, (h, o) in enumerate(visits)])
        record_visits(worker=c.worker_b, items=[visiting.visit(h, round_.id, minutes=10 * i)
                                                for i, h in enumerate(c.households_b)])
        target = creation.create_target(area=c.village_a, fields=creation.check_fields(
            kind=TargetKind.COMMUNITY, name="", area=c.village_a))
        for action in ("start", "apply", "certify"):
            creation.transition(target, action, user=c.admin, override_reason="测试")
        db.session.commit()
        return {"round": round_.id}


def _lab(colour: str) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of an sRGB colour."""
    rgb = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [((c + 0.055) / 1.055) ** 2.4 if c > 0.04045 else c / 12.92 for c in rgb]
    xyz = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, \
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in xyz]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def delta_e(one: str, other: str) -> float:
    """How far apart two colours look (CIE76): about 2 is just noticeable, 20 plainly different."""
    return sum((a - b) ** 2 for a, b in zip(_lab(one), _lab(other), strict=True)) ** 0.5


def _user(name):
    return db.session.scalar(sa.select(User).where(User.username == name))


def _area(code):
    return db.session.scalar(sa.select(Area).where(Area.code == code))


# --- the palettes --------------------------------------------------------------------------------------

def test_a_certified_village_is_never_drawn_in_the_colour_of_full_coverage():
    full = palettes.coverage_colour(1.0)
    assert full == palettes.coverage_colour(0.95) != palettes.CERTIFIED
    assert all(delta_e(palettes.CERTIFIED, colour) > 40 for _floor, colour in palettes.COVERAGE_BANDS)
    assert palettes.SHAPES["certified"] != palettes.SHAPES["coverage"]


def test_no_two_themes_share_a_colour_nor_a_shape():
    themes = palettes.themes()
    official = [(theme, colour) for theme, colours in themes.items() if theme != "households" for colour in colours]
    for (theme, one), (other_theme, other) in combinations(official, 2):
        if theme != other_theme:
            assert delta_e(one, other) > 10, (theme, one, other_theme, other)
    assert len(set(palettes.SHAPES.values())) == len(palettes.SHAPES)


@pytest.mark.parametrize("theme", list(palettes.themes()))
def test_the_colours_of_one_theme_are_told_apart(theme):
    for one, other in combinations(palettes.themes()[theme], 2):
        assert delta_e(one, other) > 15, (theme, one, other)


def test_coverage_bands_darken_as_coverage_rises():
    lightness = [_lab(colour)[0] for _floor, colour in palettes.COVERAGE_BANDS]
    assert lightness == sorted(lightness, reverse=True)
    assert [floor for floor, _c in palettes.COVERAGE_BANDS] == [0.0, 0.5, 0.8, 0.95]


def test_every_map_colour_is_written_in_the_palettes_module_only():
    from pathlib import Path

    root = Path(__file__).parent.parent
    for path in [*root.glob("campaign/maps/*.py"), root / "static/js/map_legends.js"]:
        if path.name == "palettes.py":
            continue
        found = set(re.findall(r"#[0-9a-fA-F]{6}\b", path.read_text()))
        allowed = {palettes.PIN_EDGE, palettes.NO_DATA} if path.suffix == ".js" else set()
        assert found <= allowed, (path.name, found)


# --- the builders ---------------------------------------------------------------------------------------

def test_targets_are_stars_and_villages_keep_their_band(ctx, county):
    admin = _user("admin")
    targets = layers.targets_layer(_area("610923"), admin, SAME)["features"]
    assert [(f["properties"]["c"], f["properties"]["m"]) for f in targets] == [(palettes.CERTIFIED, "star")]
    villages = {f["properties"]["k"]: f["properties"]["c"]
                for f in layers.coverage_layer(_area("610923"), county["round"], SAME)["features"]}
    assert villages == {"610923100001": palettes.coverage_colour(0.25), "610923101001": palettes.coverage_colour(1)}


def test_a_workers_households_are_coloured_by_where_they_stand_in_the_round(ctx, county):
    worker = _user("worker_a")
    features = layers.households_layer(worker, SAME, county["round"])["features"]
    assert [f["properties"]["c"] for f in features] == [
        palettes.HOUSEHOLD_STATUS[Outcome.REACHED], palettes.HOUSEHOLD_STATUS[Outcome.NOT_HOME],
        palettes.HOUSEHOLD_STATUS[Outcome.REFUSED], palettes.NOT_VISITED]
    assert [f["properties"]["o"] for f in features] == ["reached", "not_home", "refused", ""]
    assert all(f["properties"]["c"] == palettes.NOT_VISITED
               for f in layers.households_layer(worker, SAME, None)["features"])


def _frame(app, username: str, code: str, round_id: int) -> str:
    """The map document as the frame serves it, built without HTTP."""
    with app.test_request_context():
        m = map_for(_area(code), _user(username), round_=db.session.get(Round, round_id), start=date(2026, 1, 1),
                    end=date(2026, 12, 31), config={"MAP_TILES": "none"})
        return page(m, nonce="n0nce")


@pytest.mark.parametrize(("username", "code", "keys"), [
    ("admin", "610923", ["coverage", "zero", "targets", "warnings"]),
    ("worker_a", "610923100001001", ["households"])])
def test_each_layer_has_its_own_legend_naming_its_layer(app, county, username, code, keys):
    html = _frame(app, username, code, county["round"])
    legends = re.findall(r'<section class="map-legend" data-layer="(\w+)" data-key="(\w+)"', html)
    assert [key for _group, key in legends] == keys
    groups = re.findall(r"var (feature_group_\w+) = L\.featureGroup", html)
    assert [group for group, _key in legends] == groups  # one legend for each layer of the switch
    assert "/static/js/map_legends.js" in html and html.count("<script") == html.count("<script src=") + 2
    if username == "admin":
        assert 'data-key="coverage" data-labels' in html and 'data-key="targets" hidden' in html
        assert palettes.CERTIFIED in html and f"{palettes.coverage_colour(1)}" in html
    else:
        for colour in palettes.HOUSEHOLD_STATUS.values():
            assert f'fill="{colour}"' in html


# --- in Chromium ----------------------------------------------------------------------------------------

def _open(browser, base: str, username: str, path: str, **context):
    """The map page with everything outside the app refused (so the tiles fail) and the map's frame."""
    ctx = browser.new_context(locale="zh-CN", **context)
    ctx.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1")
              else route.abort())
    page_ = ctx.new_page()
    log_in(page_, base, username)
    page_.goto(base + path)
    page_.frame_locator("iframe.map-frame").locator(".leaflet-control-scale").wait_for()
    frame = page_.frames[1]
    frame.wait_for_function("() => document.querySelector('.map-legends').dataset.bound === '1'")
    return ctx, page_, frame


def _visible(frame) -> list[str]:
    frame.wait_for_timeout(100)
    return frame.evaluate("() => [...document.querySelectorAll('.map-legend')]"
                          ".filter(s => !s.hidden && s.offsetParent).map(s => s.dataset.key)")


def test_switching_a_layer_off_hides_its_legend_and_on_shows_it(live_server, browser, county):
    ctx, _page, frame = _open(browser, live_server, "admin", "/maps/610923")
    assert _visible(frame) == ["coverage", "targets"]  # the zero-incident and warnings layers start off
    overlays = frame.locator(".leaflet-control-layers-overlays input")
    overlays.nth(0).click()
    assert _visible(frame) == ["targets"]
    overlays.nth(1).click()
    assert _visible(frame) == ["zero", "targets"]
    overlays.nth(0).click()
    overlays.nth(3).click()
    assert _visible(frame) == ["coverage", "zero", "targets", "warnings"]
    overlays.nth(2).click()
    assert _visible(frame) == ["coverage", "zero", "warnings"]
    # the canvas still drew the villages, with every tile refused
    assert frame.evaluate("() => Object.values(window).filter(v => v instanceof L.GeoJSON && v._map)"
                          ".reduce((n, g) => n + g.getLayers().length, 0)") >= 4
    ctx.close()


def _boxes_apart(frame) -> list:
    """The legends that touch the scale bar (none, if all is well)."""
    scale = frame.locator(".leaflet-control-scale").bounding_box()
    touching = []
    for section in frame.locator(".map-legend:not([hidden])").all():
        box = section.bounding_box()
        if (box["x"] < scale["x"] + scale["width"] and scale["x"] < box["x"] + box["width"]
                and box["y"] < scale["y"] + scale["height"] and scale["y"] < box["y"] + box["height"]):
            touching.append((box, scale))
    return touching


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 700}])
def test_no_legend_lies_over_the_scale_bar(live_server, browser, county, viewport):
    ctx, _page, frame = _open(browser, live_server, "admin", "/maps/610923", viewport=viewport)
    overlays = frame.locator(".leaflet-control-layers-overlays input")
    assert _boxes_apart(frame) == []
    overlays.nth(1).click()
    overlays.nth(3).click()
    assert len(_visible(frame)) == 4 and _boxes_apart(frame) == []
    ctx.close()


def _labels_at(frame, zoom: int) -> list[str]:
    """The village names shown once the map is at ``zoom``. The page's own first fit of the view can
    land after the test's on a loaded machine, so the zoom is set until it holds; relabelling runs in a
    zero timeout after each change, so the box's label count is marked stale and read once replaced."""
    for _ in range(20):
        held = frame.evaluate("z => { const m = Object.values(window).find(v => v instanceof L.Map);"
                              " document.querySelector('.map-legends').dataset.labels = 'stale';"
                              " m.setView([33.325, 108.325], z, {animate: false});"
                              " return new Promise(r => setTimeout(() => r(m.getZoom() === z), 200)); }", zoom)
        if held:
            break
    try:
        frame.wait_for_function("() => document.querySelector('.map-legends').dataset.labels !== 'stale'",
                                timeout=5000)
    except PlaywrightTimeout:  # the view was already there: nothing to relabel
        pass
    return frame.evaluate("() => [...document.querySelectorAll('.map-label')].map(l => l.textContent)")


def test_village_names_show_from_township_zoom_on_and_not_for_the_whole_county(live_server, browser, county):
    ctx, _page, frame = _open(browser, live_server, "admin", "/maps/610923")
    assert _labels_at(frame, 9) == []
    assert _labels_at(frame, 10) == []
    assert sorted(_labels_at(frame, 13)) == ["四亩地村", "城南社区"]
    assert _labels_at(frame, 10) == []  # and gone again on zooming out
    frame.locator(".leaflet-control-layers-overlays input").nth(0).click()
    assert _labels_at(frame, 13) == []  # the names belong to the village layers
    ctx.close()


def test_the_workers_map_colours_their_households_with_its_own_legend(live_server, browser, county):
    ctx, page_, frame = _open(browser, live_server, "worker_a", "/maps/")
    assert _visible(frame) == ["households"]
    legend = frame.locator('.map-legend[data-key="households"]')
    assert legend.locator("li").count() == 5 and legend.locator("svg").count() == 5
    frame.evaluate("() => Object.values(window).find(v => v instanceof L.Map).setZoom(18)")
    frame.wait_for_timeout(300)
    fills = frame.evaluate("() => [...document.querySelectorAll('.map-pin path')].map(p => p.getAttribute('fill'))")
    assert sorted(fills) == sorted([palettes.HOUSEHOLD_STATUS[Outcome.REACHED], palettes.NOT_VISITED,
                                    palettes.HOUSEHOLD_STATUS[Outcome.NOT_HOME],
                                    palettes.HOUSEHOLD_STATUS[Outcome.REFUSED]])
    frame.locator(".leaflet-control-layers-overlays input").nth(0).click()
    assert _visible(frame) == []
    page_.screenshot(path="/tmp/maps_worker.png")
    ctx.close()
