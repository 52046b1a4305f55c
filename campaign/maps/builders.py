"""The map builder: area and layers in, a ``folium.Map`` out, and the page that serves it. It knows
nothing of requests; every script and style sheet it names is served by the app (``assets``), never by
a CDN.

Stored text (names, labels, round titles) reaches the map only through ``html_text``: Leaflet inserts
layer names and popups as HTML, and Folium renders each element's output a second time as a Jinja
template, so a name with ``{{ … }}`` would run on the server. Escaped text has no ``<`` and no braces.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import folium
from branca.element import Element
from folium.plugins import MarkerCluster
from folium.utilities import JsCode
from markupsafe import escape

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
    popup: str  # body of a JS function (p) -> HTML string; p are the feature's properties, as HTML text
    show: bool = True
    cluster: bool = False


def html_text(value) -> str:
    """Text as HTML that shows it literally, quotes included (safe in attributes too), with braces as
    character references so that Folium's second Jinja pass sees no ``{{``, ``{%`` or ``{#``."""
    return str(escape(value)).replace("{", "&#123;").replace("}", "&#125;")


def _html_properties(data: dict) -> dict:
    """A copy of a FeatureCollection whose text properties are HTML text (numbers stay numbers)."""
    return {**data, "features": [
        {**f, "properties": {k: html_text(v) if isinstance(v, str) else v for k, v in f["properties"].items()}}
        for f in data["features"]]}


def _on_each(popup: str) -> JsCode:
    return JsCode(f"function(f, layer){{ const p=f.properties; layer.bindPopup((function(p){{ {popup} }})(p)); }}")


def _style(feature) -> dict:
    colour = feature["properties"].get("c", NO_DATA)
    return {"color": colour, "fillColor": colour, "fillOpacity": 0.75, "weight": 1}


def _legend(lines: list[tuple[str, str]], title: str) -> Element:
    items = "".join(f'<div><span style="background:{html_text(c)}"></span>{html_text(label)}</div>'
                    for c, label in lines)
    return Element(f'<div class="map-legend"><strong>{html_text(title)}</strong>{items}</div>'
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
        group = folium.FeatureGroup(name=html_text(layer.title), show=layer.show).add_to(m)
        if layer.cluster:
            cluster = MarkerCluster(name=html_text(layer.title), control=False, disable_clustering_at_zoom=18)
            cluster.default_js, cluster.default_css = assets.cluster_js, assets.cluster_css
            cluster.add_to(group)
            parent = cluster
        else:
            parent = group
        # Clustered points stay plain markers (what the cluster plugin groups); the rest are circles.
        marker = None if layer.cluster else folium.CircleMarker(radius=6, fill=True)
        folium.GeoJson(_html_properties(layer.data), name=layer.key, style_function=_style,
                       on_each_feature=_on_each(layer.popup), marker=marker, control=False).add_to(parent)
    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().html.add_child(_legend(legend, legend_title))
    if bounds:
        m.fit_bounds(bounds)
    return m


def page(m: folium.Map, *, nonce: str) -> str:
    """The map as an HTML page (Folium's figure template) whose inline scripts carry the response's CSP
    nonce. Only the head is rewritten to add it, and the head holds nothing but Folium's own markup and
    the asset links; the body (with the legend) holds stored text, so a script injected there would get
    no nonce and not run."""
    figure = m.get_root()
    for child in figure._children.values():
        child.render()
    head = figure.header.render().replace("<script>", f'<script nonce="{nonce}">')
    return (f"<!DOCTYPE html>\n<html>\n<head>\n{head}\n</head>\n<body>\n{figure.html.render()}\n"
            f'<script nonce="{nonce}">\n{figure.script.render()}\n</script>\n</body>\n</html>\n')


def coverage_legend(labels: dict[str, str]) -> list[tuple[str, str]]:
    """Colour bands with their labels, best first, then grey for no data."""
    names = ["< 50%", "50–80%", "80–95%", "≥ 95%"]
    return [(colour, names[i]) for i, (_floor, colour) in reversed(list(enumerate(BANDS)))] + [
        (NO_DATA, labels["none"]), (ZERO, labels["zero"]), (WITH_CASES, labels["cases"])]
