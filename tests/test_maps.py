"""Maps: layers from crafted data, the builder without HTTP, tiles, access, and real Chromium offline."""
import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from campaign.accounts.models import User
from campaign.areas.models import Area
from campaign.core.clock import local_today
from campaign.creation import services as creation
from campaign.creation.models import TargetKind
from campaign.extensions import db
from campaign.households.models import Household
from campaign.incidents.models import FraudType, Incident
from campaign.maps import layers
from campaign.maps.builders import Assets, Key, Layer, area_map, page
from campaign.maps.tiles import provider, wgs84_to_gcj02
from campaign.rounds.models import Round
from campaign.visits.services import record_visits

from . import factories, visiting
from .browser import log_in

SAME = provider({"MAP_TILES": "none"}).shift
CDNS = ("cdn.", "cdnjs", "jsdelivr", "unpkg", "bootstrapcdn", "code.jquery", "googleapis")


@pytest.fixture
def mapped(app):
    """城南社区 with 3 of 4 households reached, 城北村 with none reached and one case this year."""
    with app.app_context():
        c = factories.small_county()
        c.village_b.lat, c.village_b.lon = 33.35, 108.35
        round_ = factories.RoundFactory(area=c.root)
        items = [visiting.visit(h, round_.id, minutes=10 * i) for i, h in enumerate(c.households_a[:3])]
        c.worker_a.grids = [c.grid_a1, c.grid_a2]
        record_visits(worker=c.worker_a, items=items)
        db.session.add(Incident(village=c.village_b, occurred_on=local_today() - timedelta(days=3),
                                fraud_type=FraudType.LOAN, loss=100, recovered=0))
        target = creation.create_target(area=c.village_a, fields=creation.check_fields(
            kind=TargetKind.COMMUNITY, name="", area=c.village_a))
        for action in ("start", "apply", "certify"):
            creation.transition(target, action, user=c.admin, override_reason="测试")
        db.session.commit()
        return {"round": round_.id}


def _in_json(text: str) -> bytes:
    """How a name appears inside the map's embedded GeoJSON."""
    return json.dumps(text)[1:-1].encode()


def _area(code):
    return db.session.scalar(sa.select(Area).where(Area.code == code))


def test_coverage_colours_follow_the_bands():
    assert layers.coverage_colour(None) == layers.NO_DATA
    assert layers.coverage_colour(0.949) == layers.BANDS[2][1]
    assert layers.coverage_colour(0.95) == layers.BANDS[3][1]
    assert layers.coverage_colour(0.0) == layers.BANDS[0][1]


def test_coverage_layer_colours_each_village_by_its_coverage(ctx, mapped):
    data = layers.coverage_layer(_area("610923"), mapped["round"], SAME)
    by_code = {f["properties"]["k"]: f["properties"] for f in data["features"]}
    assert by_code["610923100001"]["v"] == 75.0 and by_code["610923100001"]["r"] == 3
    assert by_code["610923100001"]["c"] == layers.BANDS[1][1]  # 50–80 %
    assert by_code["610923101001"]["v"] == 0.0 and by_code["610923101001"]["c"] == layers.BANDS[0][1]
    assert all(f["geometry"]["type"] == "Point" for f in data["features"])


def test_zero_layer_marks_villages_with_cases(ctx, mapped):
    today = local_today()
    data = layers.zero_layer(_area("610923"), date(today.year, 1, 1), today, SAME)
    by_code = {f["properties"]["k"]: f["properties"] for f in data["features"]}
    assert by_code["610923101001"]["x"] == 1 and by_code["610923101001"]["c"] == layers.WITH_CASES
    assert by_code["610923100001"]["x"] == 0 and by_code["610923100001"]["c"] == layers.ZERO


def test_targets_layer_shows_certified_targets_only_inside_the_users_area(ctx, mapped):
    official_b = db.session.scalar(sa.select(User).where(User.username == "official_b"))
    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    assert [f["properties"]["sn"][-4:] for f in layers.targets_layer(_area("610923"), admin, SAME)["features"]] \
        == ["0001"]
    assert layers.targets_layer(_area("610923101"), official_b, SAME)["features"] == []


def test_boundaries_replace_points_and_shift_with_the_tiles(ctx, mapped):
    from campaign.maps.models import AreaBoundary

    ring = [[108.29, 33.29], [108.31, 33.29], [108.31, 33.31], [108.29, 33.29]]
    db.session.add(AreaBoundary(area_id=_area("610923100001").id,
                                geometry=json.dumps({"type": "Polygon", "coordinates": [ring]})))
    db.session.flush()
    gaode = provider({"MAP_TILES": "gaode"})
    data = layers.coverage_layer(_area("610923"), mapped["round"], gaode.shift)
    polygon = next(f for f in data["features"] if f["properties"]["k"] == "610923100001")["geometry"]
    assert polygon["type"] == "Polygon"
    lat, lon = wgs84_to_gcj02(33.29, 108.29)
    assert polygon["coordinates"][0][0] == [round(lon, 5), round(lat, 5)]


def test_gcj02_shift_matches_the_published_offset_and_leaves_the_rest_of_the_world():
    lat, lon = wgs84_to_gcj02(33.31, 108.31)
    assert abs(lat - 33.30829) < 1e-5 and abs(lon - 108.31464) < 1e-5
    assert wgs84_to_gcj02(51.5, -0.12) == (51.5, -0.12)


def test_tile_providers_from_config():
    assert provider({}).name == "osm"
    assert provider({"MAP_TILES": "none"}).urls == ()
    assert provider({"MAP_TILES": "tianditu"}).name == "none"  # no key: no tiles rather than broken ones
    tianditu = provider({"MAP_TILES": "tianditu", "MAP_TIANDITU_KEY": "k123"})
    assert len(tianditu.urls) == 2 and all(url.endswith("tk=k123") for url in tianditu.urls)
    assert provider({"MAP_TILES": "gaode"}).shift(33.31, 108.31) != (33.31, 108.31)


def test_builder_uses_the_apps_assets_one_layer_per_theme_and_a_legend(ctx, mapped):
    data = layers.coverage_layer(_area("610923"), mapped["round"], SAME)
    assets = Assets(js=[("leaflet", "/static/vendor/leaflet/leaflet.js")],
                    css=[("leaflet_css", "/static/vendor/leaflet/leaflet.css")],
                    cluster_js=[("mc", "/static/mc.js")], cluster_css=[("mcc", "/static/mc.css")])
    m = area_map(center=(33.3, 108.3), zoom=11, tiles=provider({"MAP_TILES": "none"}), assets=assets,
                 layers=[Layer("coverage", "覆盖率", data, "return p.n;", [Key("#0c2c84", "circle", "图例")]),
                         Layer("households", "住户", data, "return p.n;", cluster=True)])
    html = m.get_root().render()
    assert "/static/vendor/leaflet/leaflet.js" in html and "/static/mc.js" in html
    assert not any(cdn in html for cdn in CDNS)
    assert html.count("L.geoJson(") == 2 and "L.markerClusterGroup" in html
    assert _in_json("城南社区").decode() in html and "图例" in html and "tile.openstreetmap" not in html
    served = page(m, nonce="n0nce")
    assert served.count("<script") == served.count('<script nonce="n0nce">') + served.count("<script src=")
    assert served.count('<script nonce="n0nce">') == 2  # Folium's globals in the head, then the map itself
    assert "user-scalable=no" not in served and "maximum-scale" not in served  # people may pinch-zoom
    assert 'name="viewport"' in served


def test_map_frame_is_framed_only_by_us_and_keeps_to_the_users_area(client, auth, mapped):
    auth.login("official_a")
    page = client.get("/maps/610923100")
    assert page.status_code == 200 and b"/maps/610923100/frame" in page.data
    frame = client.get("/maps/610923100/frame")
    assert frame.status_code == 200 and frame.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert _in_json("城南社区") in frame.data and _in_json("城北村") not in frame.data
    assert client.get("/maps/610923101/frame").status_code == 404


def test_a_worker_sees_their_households_clustered_and_no_warnings(client, auth, mapped):
    auth.login("worker_a")
    frame = client.get("/maps/610923100001001/frame")
    assert frame.status_code == 200
    assert b"L.markerClusterGroup" in frame.data and b"warnings" not in frame.data


PAYLOAD = '<img src=x onerror="window.pwned=1">'


def _rename(app, round_id, round_name, village_name):
    with app.app_context():
        db.session.get(Round, round_id).name = round_name
        _area("610923100001").name = village_name
        db.session.commit()


def test_a_round_named_with_markup_is_escaped_in_the_map_frame(app, client, auth, mapped):
    _rename(app, mapped["round"], "<img src=x onerror=alert(1)>", "<b>城南</b>社区")
    auth.login("admin")
    frame = client.get("/maps/610923/frame")
    assert frame.status_code == 200 and b"<img" not in frame.data and b"<b>" not in frame.data
    # HTML text in a JSON string: &lt; is written \u0026lt; there
    assert rb"\u0026lt;img src=x onerror=alert(1)\u0026gt;" in frame.data
    assert _in_json("&lt;b&gt;城南&lt;/b&gt;社区").replace(b"&", rb"\u0026") in frame.data


def test_names_with_template_syntax_are_shown_not_run_on_the_server(app, client, auth, mapped):
    """Folium renders its output a second time as a Jinja template: stored text must not be code there."""
    _rename(app, mapped["round"], "{{ 'pwn' | upper }}{%", "{{ config.SECRET_KEY }}")
    with app.app_context():
        for household in db.session.scalars(sa.select(Household)):
            household.door_label = f"{{{{ lipsum.__globals__.os.getcwd() }}}} {household.id}"
            household.lat, household.lon = 33.3, 108.3
        db.session.commit()
    auth.login("admin")
    frame = client.get("/maps/610923/frame")
    assert frame.status_code == 200 and b"test-secret" not in frame.data and b"PWN" not in frame.data
    assert b"config.SECRET_KEY" in frame.data and rb"pwn\u0026#39; | upper" in frame.data
    auth.logout()
    auth.login("worker_a")
    frame = client.get("/maps/610923100001001/frame")
    assert frame.status_code == 200 and b"getcwd()" in frame.data
    assert str(Path.cwd()).encode() not in frame.data


def test_map_runs_under_the_strict_policy_and_shows_markup_in_names_as_text(live_server, browser, app, mapped):
    """Real Chromium, scripts allowed only with the nonce: the layers still draw, the layer switch and the
    popups show a name made of markup as text, its handler never runs, and nothing breaks the policy."""
    _rename(app, mapped["round"], PAYLOAD, PAYLOAD.replace("1", "2") + "城南社区")
    context = browser.new_context(locale="zh-CN")
    context.add_init_script("""document.addEventListener('securitypolicyviolation',
        e => (window.violations = window.violations || []).push(e.violatedDirective + ' ' + e.blockedURI));""")
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1")
                  else route.abort())
    console = []
    page_ = context.new_page()
    page_.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    log_in(page_, live_server, "admin")
    page_.goto(live_server + "/maps/610923")
    frame = page_.frame_locator("iframe.map-frame")
    frame.locator(".leaflet-overlay-pane canvas").first.wait_for()
    overlays = frame.locator(".leaflet-control-layers-overlays")
    assert PAYLOAD in overlays.inner_text() and overlays.locator("img").count() == 0
    inside = page_.frames[1]
    drawn = inside.evaluate("""() => Object.values(window).filter(v => v instanceof L.GeoJSON && v._map)
        .reduce((n, g) => n + g.getLayers().length, 0)""")
    assert drawn >= 3
    popup = inside.evaluate("""() => {
        const village = Object.values(window).filter(v => v instanceof L.GeoJSON && v._map)
          .flatMap(g => g.getLayers()).find(l => l.feature.properties.k === '610923100001');
        village.fire('click', {latlng: village.getLatLng()});
        const content = document.querySelector('.leaflet-popup-content');
        return [content.textContent, content.querySelectorAll('img').length]; }""")
    assert popup[0].startswith(PAYLOAD.replace("1", "2") + "城南社区") and popup[1] == 0
    page_.wait_for_timeout(200)
    for where in (page_, inside):
        assert where.evaluate("() => [window.pwned, window.violations]") == [None, None]
    assert console == []
    context.close()


def test_map_draws_its_villages_in_chromium_with_everything_outside_blocked(live_server, browser, mapped):
    context = browser.new_context(locale="zh-CN")
    outside = []

    def only_local(route):
        if route.request.url.startswith("http://127.0.0.1"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()
    context.route("**/*", only_local)
    page = context.new_page()
    log_in(page, live_server, "admin")
    page.goto(live_server + "/maps/610923")
    frame = page.frame_locator("iframe.map-frame")
    frame.locator(".leaflet-overlay-pane canvas").first.wait_for()
    drawn = page.frames[1].evaluate("""() => { let n = 0;
        for (const k of Object.keys(window)) { const v = window[k];
          if (v instanceof L.GeoJSON && map_has(v)) n += v.getLayers().length; }
        return n;
        function map_has(layer) { return !!layer._map; } }""")
    assert drawn >= 3  # two villages' coverage and the certified target (zero-incident layer starts hidden)
    popup = page.frames[1].evaluate("""() => {
        const village = Object.values(window).filter(v => v instanceof L.GeoJSON && v._map)
          .flatMap(g => g.getLayers()).find(l => l.feature.properties.k === '610923100001');
        village.fire('click', {latlng: village.getLatLng()});
        return document.querySelector('.leaflet-popup-content').innerHTML; }""")
    assert "城南社区" in popup and "75% (3 / 4)" in popup and 'href="/coverage/610923100001"' in popup
    assert all("tile.openstreetmap.org" in url for url in outside), outside
    assert not any(cdn in url for url in outside for cdn in CDNS)
    context.close()


def _upload(client, content: bytes, name="b.geojson"):
    return client.post("/maps/boundaries/import", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def _feature(code, ring=None, kind="Polygon"):
    ring = ring or [[108.29, 33.29], [108.31, 33.29], [108.31, 33.31], [108.29, 33.29]]
    return {"type": "Feature", "properties": {"code": code},
            "geometry": {"type": kind, "coordinates": [ring] if kind == "Polygon" else [[ring]]}}


def _boundaries(app):
    from campaign.maps.models import AreaBoundary

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(AreaBoundary))


def test_boundaries_import_draws_polygons_instead_of_points(app, client, auth, mapped):
    auth.login("admin")
    collection = {"type": "FeatureCollection", "features": [_feature("610923100001"),
                                                            _feature("610923101001", kind="MultiPolygon")]}
    response = _upload(client, json.dumps(collection).encode())
    assert response.status_code == 302 and _boundaries(app) == 2
    frame = client.get("/maps/610923/frame").get_data(as_text=True)
    assert '"Polygon"' in frame and '"MultiPolygon"' in frame
    assert _upload(client, json.dumps(collection).encode()).status_code == 302 and _boundaries(app) == 2


def test_a_bad_boundary_file_imports_nothing_and_lists_every_bad_feature(app, client, auth, mapped):
    auth.login("admin")
    open_ring = [[108.29, 33.29], [108.31, 33.29], [108.31, 33.31], [108.30, 33.30]]
    collection = {"type": "FeatureCollection", "features": [
        _feature("610923100001"), _feature("999999999999"), _feature("610923101001", ring=open_ring),
        _feature("610923100001"), {"type": "Feature", "properties": {}, "geometry": None},
        _feature("610923101001", ring=[[500, 33], [108, 33], [108, 34], [500, 33]]),
        {"type": "Feature", "properties": {"code": "610923101001"},
         "geometry": {"type": "Point", "coordinates": [1, 2]}}]}
    response = _upload(client, json.dumps(collection).encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and _boundaries(app) == 0
    for line in range(2, 8):
        assert f"<tr><td>{line}</td>" in page
    assert "<tr><td>1</td>" not in page
    # each feature says its own problem: the open ring, the position out of range and the point are
    # not reported as mere duplicates of the first feature of their village
    assert page.count('text-nowrap">geometry<') == 3 and page.count('text-nowrap">code<') == 3


@pytest.mark.parametrize("content", [b"", b"not json", b'{"type": "Feature"}', b'{"type": "FeatureCollection"}',
                                     b'{"type": "FeatureCollection", "features": []}', b"\xff\xfe\x00"])
def test_a_file_that_is_not_a_feature_collection_is_refused(app, client, auth, mapped, content):
    auth.login("admin")
    assert _upload(client, content).status_code == 400 and _boundaries(app) == 0


def test_boundaries_of_another_county_are_unknown(app, client, auth, mapped):
    with app.app_context():
        factories.AreaFactory(code="610924", name="紫阳县")
        factories.AreaFactory(code="610924100", name="某镇", parent=_area("610924"))
        db.session.commit()
    auth.login("admin")
    collection = {"type": "FeatureCollection", "features": [_feature("610924100")]}
    assert _upload(client, json.dumps(collection).encode()).status_code == 400 and _boundaries(app) == 0


def test_a_bad_period_is_refused_with_a_message_and_a_foreign_round_is_ignored(app, client, auth, mapped):
    auth.login("official_a")
    page = client.get("/maps/610923100?start=2026-05-01&end=2026-01-01")
    assert page.status_code == 400 and b"map-frame" not in page.data
    assert client.get("/maps/610923100/frame?start=2026-13-01&end=2026-12-31").status_code == 400
    with app.app_context():
        other = factories.AreaFactory(code="610924", name="紫阳县")
        foreign = factories.RoundFactory(area=other, name="紫阳县第一轮").id
        db.session.commit()
    frame = client.get(f"/maps/610923100/frame?round={foreign}")
    assert frame.status_code == 200 and "紫阳县第一轮".encode() not in frame.data
    assert _in_json("紫阳县第一轮") not in frame.data and _in_json("轮敲门行动") in frame.data  # its own
