"""The map of the visits table: each visit where its phone took the fix, coloured by GPS class, its
household's position beside it and a thin line between the two. It knows nothing of requests: the
view passes plain dots with their text already in the user's language.

Stored text reaches the map only through ``html_text`` (see ``campaign.maps.builders``): Leaflet
inserts popups and layer names as HTML, and Folium renders its output a second time as a template."""
from __future__ import annotations

from dataclasses import dataclass

import folium
from branca.element import Element
from folium.utilities import JsCode

from campaign.maps.builders import Assets, html_text
from campaign.maps.tiles import TileProvider

from .models import GeoCheck

# The table's own dot colours (static/css/app.css .geo-*), so that a colour means one class on both.
GEO_COLOURS = {GeoCheck.GREEN: "#2e7d32", GeoCheck.AMBER: "#f9a825", GeoCheck.RED: "#c62828",
               GeoCheck.COARSE: "#fff3cd", GeoCheck.GREY: "#9e9e9e", GeoCheck.UNKNOWN: "#ffffff"}
HOUSEHOLD_COLOUR, LINE_COLOUR, EDGE = "#3182bd", "#555555", "#333333"


@dataclass
class Dot:
    """One visit on the map: the fix (or, with none, the household's position), and its household."""

    lat: float
    lon: float
    geo: GeoCheck
    fixed: bool
    home: tuple[float, float] | None
    household_id: int
    label: str   # door label
    detail: str  # time, worker and GPS class, in the user's language


def _point(lat: float, lon: float, shift) -> list[float]:
    lat, lon = shift(lat, lon)
    return [round(lon, 6), round(lat, 6)]


def _collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def _layers(dots: list[Dot], shift) -> tuple[dict[GeoCheck, dict], dict, dict]:
    """The visits (one collection per GPS class, so that each is drawn in one style), the households
    and the lines between a fix and its household."""
    visits: dict[GeoCheck, list] = {geo: [] for geo in GEO_COLOURS}
    homes, lines, seen = [], [], set()
    for dot in dots:
        where = _point(dot.lat, dot.lon, shift)
        visits[dot.geo].append({"type": "Feature", "geometry": {"type": "Point", "coordinates": where},
                                "properties": {"n": html_text(dot.label), "d": html_text(dot.detail),
                                               "h": dot.household_id}})
        if dot.home is None:
            continue
        home = _point(*dot.home, shift)
        if dot.household_id not in seen:
            seen.add(dot.household_id)
            homes.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": home},
                          "properties": {"n": html_text(dot.label), "d": "", "h": dot.household_id}})
        if dot.fixed and home != where:
            lines.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [where, home]},
                          "properties": {}})
    return ({geo: _collection(f) for geo, f in visits.items() if f}, _collection(homes), _collection(lines))


def _visit_style(colour: str):
    return lambda feature: {"color": EDGE, "weight": 1, "fillColor": colour, "fillOpacity": 0.9}


def _home_style(feature) -> dict:
    return {"color": HOUSEHOLD_COLOUR, "weight": 2, "fillColor": "#ffffff", "fillOpacity": 1}


def _line_style(feature) -> dict:
    return {"color": LINE_COLOUR, "weight": 1, "opacity": 0.7}


def _popup(link: str) -> JsCode:
    """Popup of a dot: its door label (a link to the household) and its details, all HTML text already."""
    return JsCode("function(f, layer){ const p=f.properties; layer.bindPopup('<strong><a target=\"_top\" href=\""
                  + html_text(link) + "'+p.h+'\">'+p.n+'</a></strong>'+(p.d?'<br>'+p.d:'')); }")


def _legend(title: str, lines: list[tuple[str, str]], note: str) -> Element:
    items = "".join(f'<div><span style="background:{html_text(colour)}"></span>{html_text(label)}</div>'
                    for colour, label in lines)
    return Element(
        f'<div class="visit-legend"><strong>{html_text(title)}</strong>{items}<div class="note">{html_text(note)}</div>'
        "</div><style>.visit-legend{position:absolute;z-index:1000;bottom:24px;right:10px;max-width:16rem;"
        "background:#fff;padding:6px 10px;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.3);"
        "font:13px/1.5 sans-serif}.visit-legend span{display:inline-block;width:12px;height:12px;border-radius:50%;"
        "margin-right:6px;vertical-align:-1px;border:1px solid #333}.visit-legend .note{color:#555;font-size:12px}"
        "</style>")


def visits_map(dots: list[Dot], *, tiles: TileProvider, assets: Assets, center: tuple[float, float],
               titles: dict[str, str], legend: list[tuple[GeoCheck, str]], note: str,
               household_link: str) -> folium.Map:
    """The map of these visits. ``titles`` names the layers (visits, households, lines) and the legend;
    ``legend`` lists the GPS classes with their labels; ``note`` says how many visits are drawn."""
    m = folium.Map(location=list(tiles.shift(*center)), zoom_start=12, tiles=None, prefer_canvas=True,
                   control_scale=True)
    m.default_js, m.default_css = assets.js, assets.css
    for index, url in enumerate(tiles.urls):
        folium.TileLayer(url, attr=tiles.attribution, name=tiles.name, subdomains=tiles.subdomains or "abc",
                         overlay=index > 0, control=False, max_zoom=19).add_to(m)
    visits, homes, lines = _layers(dots, tiles.shift)
    # Each layer in one style, so that Folium writes no per-feature style table into the page.
    groups = {key: folium.FeatureGroup(name=html_text(titles[key])).add_to(m) for key in ("lines", "households",
                                                                                            "visits")}
    folium.GeoJson(lines, name="lines", style_function=_line_style, control=False).add_to(groups["lines"])
    folium.GeoJson(homes, name="households", style_function=_home_style, control=False,
                   marker=folium.CircleMarker(radius=3, fill=True), on_each_feature=_popup(household_link)
                   ).add_to(groups["households"])
    for geo, data in visits.items():
        folium.GeoJson(data, name=f"visits_{geo.value}", style_function=_visit_style(GEO_COLOURS[geo]), control=False,
                       marker=folium.CircleMarker(radius=6, fill=True), on_each_feature=_popup(household_link)
                       ).add_to(groups["visits"])
    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().html.add_child(_legend(titles["legend"], [(GEO_COLOURS[geo], label) for geo, label in legend], note))
    points = [f["geometry"]["coordinates"] for data in (*visits.values(), homes) for f in data["features"]]
    if points:
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], max_zoom=17)
    return m
