"""The map builder: area and layers in, a ``folium.Map`` out, and the page that serves it. It knows
nothing of requests; every script and style sheet it names is served by the app (``assets``), never by
a CDN.

Stored text (names, labels, round titles) reaches the map only through ``html_text``: Leaflet inserts
layer names and popups as HTML, and Folium renders each element's output a second time as a Jinja
template, so a name with ``{{ … }}`` would run on the server. Escaped text has no ``<`` and no braces.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

import folium
from branca.element import Element
from folium.plugins import MarkerCluster
from folium.utilities import JsCode
from markupsafe import escape

from .palettes import BAND_NAMES, COVERAGE_BANDS, MARK_EDGE, NO_DATA, OUTLINE, SHAPES
from .tiles import TileProvider


@dataclass
class Assets:
    """Where the app serves Leaflet and its plugins (url_for('static', …) in a request)."""

    js: list[tuple[str, str]]
    css: list[tuple[str, str]]
    cluster_js: list[tuple[str, str]] = field(default_factory=list)
    cluster_css: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Key:
    """One line of a legend: a mark in its colour and shape (see ``palettes``), and what it means."""

    colour: str
    shape: str
    label: str
    hollow: bool = False


@dataclass
class Layer:
    """One theme: a name shown in the layer switch, its GeoJSON, the popup built in the browser, and its
    own legend, shown while the layer is. Points are drawn in ``shape`` unless a feature names its own
    (property m); the fill is each feature's colour (property c)."""

    key: str
    title: str
    data: dict
    popup: str  # body of a JS function (p) -> HTML string; p are the feature's properties, as HTML text
    legend: list[Key] = field(default_factory=list)
    shape: str = "circle"
    edge: str = MARK_EDGE  # the outline of every mark
    hollow: bool = False  # drawn as a thick outline in the feature's colour, to show what lies under it
    offset: tuple[int, int] = (0, 0)  # pixels from its point: a badge beside the village's own mark
    show: bool = True
    cluster: bool = False
    labels: bool = False  # name the features (villages) from township zoom on


# From this zoom on (about one township filling the frame) village names are written on the map; a
# county (zoom 9–10) would be a heap of names.
LABEL_ZOOM = 12

# Marks in a 2 × 2 box centred on the point (y down), as static/js/map_legends.js draws them.
OUTLINES = {
    "square": ((-.8, -.8), (.8, -.8), (.8, .8), (-.8, .8)),
    "triangle": ((0, -1), (.95, .8), (-.95, .8)),
    "star": tuple((round(r * math.cos(math.pi * (i / 5 - .5)), 3), round(r * math.sin(math.pi * (i / 5 - .5)), 3))
                  for i, r in enumerate([1, .45] * 5)),
    "cross": ((-1, -.6), (-.6, -1), (0, -.4), (.6, -1), (1, -.6), (.4, 0), (1, .6), (.6, 1), (0, .4), (-.6, 1),
              (-1, .6), (-.4, 0)),
    "house": ((0, -1), (.9, -.15), (.9, .9), (-.9, .9), (-.9, -.15)),
}


def swatch(colour: str, shape: str, edge: str = OUTLINE, hollow: bool = False) -> str:
    """The mark as a small inline SVG for a legend."""
    fill, stroke = html_text(colour), html_text(colour if hollow else edge)
    paint = (f'fill="{fill}" fill-opacity=".12" stroke="{stroke}" stroke-width=".35"' if hollow
             else f'fill="{fill}" stroke="{stroke}" stroke-width=".18"')
    if shape in OUTLINES:
        d = "M" + "L".join(f"{x} {y}" for x, y in OUTLINES[shape]) + "Z"
        mark = f'<path d="{d}" {paint}/>'
    else:
        mark = f'<circle r=".8" {paint}/>'
    return f'<svg class="map-key" viewBox="-1.2 -1.2 2.4 2.4" width="14" height="14" aria-hidden="true">{mark}</svg>'


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


def _style(layer: Layer):
    def style(feature) -> dict:
        colour = feature["properties"].get("c", NO_DATA)
        if layer.hollow:
            return {"color": colour, "fillColor": colour, "fillOpacity": 0.12, "weight": 3, "opacity": 1}
        return {"color": layer.edge, "fillColor": colour, "fillOpacity": 0.8, "weight": 1.2, "opacity": 1}
    return style


def _legends(layers: list[tuple[Layer, str]], label_zoom: int) -> Element:
    """One legend per layer, each naming the JS variable of its layer's group (``data-layer``), all
    hidden until static/js/map_legends.js shows those whose layer is on the map. The script also
    moves them into a map control at the bottom right, so that no legend ever lies over the scale
    bar (bottom left) or the layer switch."""
    sections = []
    for layer, group in layers:
        if not layer.legend:
            continue
        items = "".join(f"<li>{swatch(k.colour, k.shape, hollow=k.hollow)}<span>{html_text(k.label)}</span></li>"
                        for k in layer.legend)
        sections.append(f'<section class="map-legend" data-layer="{group}" data-key="{html_text(layer.key)}"'
                        f'{" data-labels" if layer.labels else ""} hidden><strong>{html_text(layer.title)}</strong>'
                        f"<ul>{items}</ul></section>")
    return Element(f'<div class="map-legends" data-label-zoom="{int(label_zoom)}">{"".join(sections)}</div>')


def area_map(*, center: tuple[float, float], zoom: int, layers: list[Layer], tiles: TileProvider, assets: Assets,
             bounds: list[list[float]] | None = None, label_zoom: int = LABEL_ZOOM) -> folium.Map:
    """A map of one area: one GeoJSON layer per theme (a clustered layer for many households), a
    layer switch, a scale bar and one legend per layer. Canvas rendering keeps thousands of villages
    fast; points are drawn in their theme's shape by static/js/map_legends.js (``campaignMap``)."""
    m = folium.Map(location=list(center), zoom_start=zoom, tiles=None, prefer_canvas=True, control_scale=True)
    m.default_js, m.default_css = assets.js, assets.css
    for index, url in enumerate(tiles.urls):
        folium.TileLayer(url, attr=tiles.attribution, name=tiles.name, subdomains=tiles.subdomains or "abc",
                         overlay=index > 0, control=False, max_zoom=18).add_to(m)
    groups = []
    for layer in layers:
        group = folium.FeatureGroup(name=html_text(layer.title), show=layer.show).add_to(m)
        groups.append((layer, group.get_name()))
        if layer.cluster:
            cluster = MarkerCluster(name=html_text(layer.title), control=False, disable_clustering_at_zoom=18)
            cluster.default_js, cluster.default_css = assets.cluster_js, assets.cluster_css
            cluster.add_to(group)
            parent = cluster
        else:
            parent = group
        # Clustered points are markers (what the cluster plugin groups); the rest are drawn on the canvas.
        draw = (f"campaignMap.pin({json.dumps(layer.shape)})" if layer.cluster
                else f"campaignMap.point({json.dumps(layer.shape)}, {json.dumps(list(layer.offset))})")
        folium.GeoJson(_html_properties(layer.data), name=layer.key, style_function=_style(layer),
                       on_each_feature=_on_each(layer.popup), control=False, pointToLayer=JsCode(draw)).add_to(parent)
    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().html.add_child(_legends(groups, label_zoom))
    if bounds:
        m.fit_bounds(bounds)
    return m


def page(m: folium.Map, *, nonce: str, title: str = "", lang: str = "zh-CN") -> str:
    """The map as an HTML page (Folium's figure template) whose inline scripts carry the response's CSP
    nonce. Only the head is rewritten to add it, and the head holds nothing but Folium's own markup and
    the asset links; the body (with the legend) holds stored text, so a script injected there would get
    no nonce and not run. ``title`` and ``lang`` (a BCP 47 tag, "zh-CN") are the document's, for screen
    readers: the frame is a document of its own."""
    figure = m.get_root()
    for child in figure._children.values():
        child.render()
    head = figure.header.render().replace("<script>", f'<script nonce="{nonce}">')
    # Folium's viewport forbids pinch zoom (maximum-scale=1.0, user-scalable=no): people who need to
    # enlarge the page must be able to (WCAG 1.4.4); the map's own zoom is unaffected.
    head = re.sub(r",\s*maximum-scale=1\.0,\s*user-scalable=no", "", head)
    return (f'<!DOCTYPE html>\n<html lang="{escape(lang)}">\n<head>\n<title>{escape(title)}</title>\n{head}\n'
            f"</head>\n<body>\n{figure.html.render()}\n"
            f'<script nonce="{nonce}">\n{figure.script.render()}\n</script>\n</body>\n</html>\n')


def html_lang(locale) -> str:
    """The BCP 47 tag of a Babel locale, as the app's pages write it: "zh-CN" for zh_Hans_CN, "en"."""
    return "-".join(part for part in (locale.language, locale.territory) if part)


def coverage_legend(no_data: str) -> list[Key]:
    """The coverage bands, best first, then grey for no data."""
    shape = SHAPES["coverage"]
    return [*(Key(colour, shape, BAND_NAMES[i]) for i, (_floor, colour) in reversed(list(enumerate(COVERAGE_BANDS)))),
            Key(NO_DATA, shape, no_data)]
