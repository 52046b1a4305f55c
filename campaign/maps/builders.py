"""The map builder: area and layers in, a ``folium.Map`` out. It knows nothing of requests; every
script and style sheet it names is served by the app (``assets``), never by a CDN."""
from __future__ import annotations

from dataclasses import dataclass, field

import folium
from branca.element import Element
from folium.plugins import MarkerCluster
from folium.utilities import JsCode

from .layers import BANDS, NO_DATA, WITH_CASES, ZERO
from .tiles import TileProvider


@dataclass
class Assets:
    """Where the app serves Leaflet and its plugins (url_for('static', …) in a request)."""

    js: list[tuple[str, str]]
    css: list[tuple[str, str]]
    cluster_js: list[tuple[str, str]] = field(default_factory=list)
    cluster_css: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Layer:
    """One theme: a name shown in the layer switch, its GeoJSON, and the popup built in the browser."""

    key: str
    title: str
    data: dict
    popup: str  # body of a JS function (p) -> HTML string; p are the feature's properties
    show: bool = True
    cluster: bool = False


# Builds popups with the browser's own escaping: names never reach the page as HTML.
ESCAPE = "function esc(s){const d=document.createElement('div');d.textContent=s==null?'':String(s);return d.innerHTML;}"


def _on_each(popup: str) -> JsCode:
    return JsCode(f"function(f, layer){{ {ESCAPE} const p=f.properties; "
                  f"layer.bindPopup((function(p){{ {popup} }})(p)); }}")


def _style(feature) -> dict:
    colour = feature["properties"].get("c", NO_DATA)
    return {"color": colour, "fillColor": colour, "fillOpacity": 0.75, "weight": 1}


def _legend(lines: list[tuple[str, str]], title: str) -> Element:
    items = "".join(f'<div><span style="background:{c}"></span>{label}</div>' for c, label in lines)
    return Element(f'<div class="map-legend"><strong>{title}</strong>{items}</div>'
                   "<style>.map-legend{position:absolute;z-index:1000;bottom:18px;left:10px;background:#fff;"
                   "padding:6px 10px;border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.3);font:13px/1.5 sans-serif}"
                   ".map-legend span{display:inline-block;width:12px;height:12px;border-radius:50%;margin-right:6px;"
                   "vertical-align:-1px}</style>")


def area_map(*, center: tuple[float, float], zoom: int, layers: list[Layer], tiles: TileProvider, assets: Assets,
             legend_title: str, legend: list[tuple[str, str]], bounds: list[list[float]] | None = None) -> folium.Map:
    """A map of one area: one GeoJSON layer per theme (a clustered layer for many households), a
    layer switch and a legend. Canvas rendering keeps thousands of villages fast."""
    m = folium.Map(location=list(center), zoom_start=zoom, tiles=None, prefer_canvas=True, control_scale=True)
    m.default_js, m.default_css = assets.js, assets.css
    for index, url in enumerate(tiles.urls):
        folium.TileLayer(url, attr=tiles.attribution, name=tiles.name, subdomains=tiles.subdomains or "abc",
                         overlay=index > 0, control=False, max_zoom=18).add_to(m)
    for layer in layers:
        group = folium.FeatureGroup(name=layer.title, show=layer.show).add_to(m)
        if layer.cluster:
            cluster = MarkerCluster(name=layer.title, control=False, disable_clustering_at_zoom=18)
            cluster.default_js, cluster.default_css = assets.cluster_js, assets.cluster_css
            cluster.add_to(group)
            parent = cluster
        else:
            parent = group
        # Clustered points stay plain markers (what the cluster plugin groups); the rest are circles.
        marker = None if layer.cluster else folium.CircleMarker(radius=6, fill=True)
        folium.GeoJson(layer.data, name=layer.key, style_function=_style, on_each_feature=_on_each(layer.popup),
                       marker=marker, control=False).add_to(parent)
    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().html.add_child(_legend(legend, legend_title))
    if bounds:
        m.fit_bounds(bounds)
    return m


def coverage_legend(labels: dict[str, str]) -> list[tuple[str, str]]:
    """Colour bands with their labels, best first, then grey for no data."""
    names = ["< 50%", "50–80%", "80–95%", "≥ 95%"]
    return [(colour, names[i]) for i, (_floor, colour) in reversed(list(enumerate(BANDS)))] + [
        (NO_DATA, labels["none"]), (ZERO, labels["zero"]), (WITH_CASES, labels["cases"])]
