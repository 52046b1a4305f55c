"""The report's trend charts and its coverage map, drawn as SVG with Matplotlib (no browser).

Text stays text (``svg.fonttype = none``) in the PDF's own CJK font, so WeasyPrint embeds one font
for the whole report. Only the object-oriented API is used (no pyplot), which is safe in threads.
"""
from __future__ import annotations

import io
import math
from datetime import date

import matplotlib
from flask_babel import gettext as _
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon

from campaign.maps.layers import BANDS, NO_DATA, positions

matplotlib.rcParams.update({
    "svg.fonttype": "none",
    "svg.hashsalt": "report",  # the same data draws the same file
    "font.family": ["Noto Sans CJK SC", "Noto Sans CJK JP", "sans-serif"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.unicode_minus": False,
})
INK, GRID, BRAND, MUTED = "#212529", "#dee2e6", "#b22222", "#8a96a3"


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _axes(width: float, height: float):
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.subplots()
    axes.grid(axis="y", color=GRID, linewidth=0.6)
    axes.set_axisbelow(True)
    return figure, axes


def weekly_coverage_svg(weekly: list[tuple[date, int, float | None]]) -> str:
    """Cumulative coverage at the end of each week of the round."""
    figure, axes = _axes(6.6, 2.6)
    labels = [_("Week %(n)s", n=n) for n in range(1, len(weekly) + 1)]
    values = [(share or 0) * 100 for _start, _reached, share in weekly]
    axes.plot(labels, values, color=BRAND, marker="o", linewidth=1.8)
    for x, y in enumerate(values):
        axes.annotate(f"{y:.1f}%", (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    axes.axhline(95, color=MUTED, linestyle="--", linewidth=0.8)
    axes.set_ylim(0, 110)
    axes.set_ylabel(_("Coverage (%)"))
    if len(labels) > 12:
        axes.tick_params(axis="x", labelrotation=45)
    return _svg(figure)


def monthly_cases_svg(monthly: list[tuple[date, int, int]]) -> str:
    """Cases in each month, beside the same month a year earlier."""
    figure, axes = _axes(6.6, 2.6)
    xs = range(len(monthly))
    axes.bar([x - 0.2 for x in xs], [before for _m, _n, before in monthly], width=0.4, color=MUTED,
             label=_("A year earlier"))
    axes.bar([x + 0.2 for x in xs], [n for _m, n, _b in monthly], width=0.4, color=BRAND, label=_("This year"))
    axes.set_xticks(list(xs), [f"{m.year % 100:02d}/{m.month:02d}" for m, _n, _b in monthly])
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_ylabel(_("Cases"))
    axes.legend(frameon=False, loc="upper left", ncols=2)
    return _svg(figure)


def _band_legend() -> list[Line2D]:
    labels = ["< 50%", "50–80%", "80–95%", "≥ 95%"]
    handles = [Line2D([], [], marker="o", linestyle="", color=colour, label=label)
               for (_floor, colour), label in zip(BANDS, labels, strict=True)]
    return [*handles, Line2D([], [], marker="o", linestyle="", color=NO_DATA, label=_("No data"))]


def coverage_map_svg(features: list[dict]) -> str:
    """Areas coloured by their coverage band: polygons where boundaries exist, points elsewhere.
    ``features`` are GeoJSON features whose properties carry the colour ``c`` (as on the web map)."""
    figure = Figure(figsize=(6.6, 5.6), layout="constrained")
    axes = figure.subplots()
    axes.set_axis_off()
    patches, colours, points = [], [], []
    for feature in features:
        geometry, colour = feature["geometry"], feature["properties"]["c"]
        if geometry["type"] == "Point":
            points.append((*geometry["coordinates"], colour))
            continue
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        for polygon in polygons:
            patches.append(Polygon(polygon[0], closed=True))
            colours.append(colour)
    if patches:
        axes.add_collection(PatchCollection(patches, facecolors=colours, edgecolors="white", linewidths=0.4))
    if points:
        size = 28 if len(points) < 200 else 10 if len(points) < 1500 else 4
        axes.scatter([p[0] for p in points], [p[1] for p in points], c=[p[2] for p in points], s=size,
                     edgecolors="white", linewidths=0.3)
    every = [p for f in features for p in positions(f["geometry"]["coordinates"])]
    if every:
        lats = [p[1] for p in every]
        axes.set_aspect(1 / max(math.cos(math.radians(sum(lats) / len(lats))), 0.1))
        axes.autoscale_view()
    else:
        axes.text(0.5, 0.5, _("No locations recorded for these areas."), ha="center", va="center",
                  transform=axes.transAxes, color=MUTED)
    axes.legend(handles=_band_legend(), loc="lower left", frameon=False, fontsize=8, title=_("Coverage"))
    return _svg(figure)
