"""The report's trend charts and its coverage map, drawn as SVG with Matplotlib (no browser).

Text stays text (``svg.fonttype = none``) in the PDF's own CJK font, so WeasyPrint embeds one font
for the whole report. Only the object-oriented API is used (no pyplot), which is safe in threads.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import date

import matplotlib
from flask_babel import gettext as _
from matplotlib.backends.backend_agg import FigureCanvasAgg
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


def monthly_cases_figure(monthly: list[tuple[date, int, int]]) -> Figure:
    """Cases in each month, beside the same month a year earlier; the legend below the axes."""
    figure, axes = _axes(6.6, 2.8)
    xs = range(len(monthly))
    axes.bar([x - 0.2 for x in xs], [before for _m, _n, before in monthly], width=0.4, color=MUTED,
             label=_("A year earlier"))
    axes.bar([x + 0.2 for x in xs], [n for _m, n, _b in monthly], width=0.4, color=BRAND, label=_("This year"))
    axes.set_xticks(list(xs), [f"{m.year % 100:02d}/{m.month:02d}" for m, _n, _b in monthly])
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_ylabel(_("Cases"))
    figure.legend(loc="outside lower center", frameon=False, ncols=2)
    return figure


def monthly_cases_svg(monthly: list[tuple[date, int, int]]) -> str:
    return _svg(monthly_cases_figure(monthly))


def _band_legend() -> list[Line2D]:
    labels = ["< 50%", "50–80%", "80–95%", "≥ 95%"]
    handles = [Line2D([], [], marker="o", linestyle="", color=colour, label=label)
               for (_floor, colour), label in zip(BANDS, labels, strict=True)]
    return [*handles, Line2D([], [], marker="o", linestyle="", color=NO_DATA, label=_("No data"))]


@dataclass(frozen=True)
class Label:
    """An area's name on the map: ``major`` for the areas the report ranks, minor for the villages
    inside them, which are left out where they would cover another label."""

    lon: float
    lat: float
    text: str
    major: bool = True


def coverage_map_figure(features: list[dict], labels: list[Label] = ()) -> Figure:
    """Areas coloured by their coverage band: polygons where boundaries exist, points elsewhere,
    named by ``labels``; the legend below the map, never on it.
    ``features`` are GeoJSON features whose properties carry the colour ``c`` (as on the web map)."""
    figure = Figure(figsize=(6.6, 6.2), layout="constrained")
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
    figure.legend(handles=_band_legend(), loc="outside lower center", frameon=False, fontsize=8, ncols=5,
                  title=_("Coverage"))
    every = [p for f in features for p in positions(f["geometry"]["coordinates"])]
    if every:
        lats = [p[1] for p in every]
        axes.set_aspect(1 / max(math.cos(math.radians(sum(lats) / len(lats))), 0.1))
        axes.autoscale_view()
        _place_labels(figure, axes, labels)
    else:
        axes.text(0.5, 0.5, _("No locations recorded for these areas."), ha="center", va="center",
                  transform=axes.transAxes, color=MUTED)
    return figure


MAJOR_LABELS_KEPT = 60  # up to this many ranked areas, each is named even where names crowd
# Where a name may go beside its point (offset in points, alignment): above, below, right, left.
_SPOTS = [((0, 4), "center", "bottom"), ((0, -4), "center", "top"), ((5, 0), "left", "center"),
          ((-5, 0), "right", "center")]


def _place_labels(figure: Figure, axes, labels: list[Label]) -> None:
    """Names on a pale ground, the ranked areas first, each in the first spot beside its point that
    touches no name already placed; a village's name with no free spot is left out (a map of
    crossed names says nothing), a ranked area's goes above its point all the same unless a city
    ranks so many that they must give way too. (A halo drawn by path effects would turn the names
    into outlines, which a reader of the PDF cannot search.)"""
    ground = {"boxstyle": "round,pad=0.12", "facecolor": "white", "edgecolor": "none", "alpha": 0.65}
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw_without_rendering()  # the layout first, so that the texts' boxes are where they print,
    figure.set_layout_engine("none")  # and kept: hundreds of names inside the map need no new layout
    placed = []
    forced = sum(label.major for label in labels) <= MAJOR_LABELS_KEPT
    for label in sorted(labels, key=lambda lb: not lb.major):
        style = {"fontsize": 8, "fontweight": "bold"} if label.major else {"fontsize": 5.5}
        for n, (offset, ha, va) in enumerate(_SPOTS):
            text = axes.annotate(label.text, (label.lon, label.lat), xytext=offset, textcoords="offset points",
                                 ha=ha, va=va, color=INK, bbox=ground, annotation_clip=True, **style)
            box = text.get_window_extent(renderer).expanded(1.05, 1.1)
            if not any(box.overlaps(other) for other in placed):
                placed.append(box)
                break
            text.remove()
            if n == len(_SPOTS) - 1 and label.major and forced:
                axes.annotate(label.text, (label.lon, label.lat), xytext=_SPOTS[0][0], textcoords="offset points",
                              ha="center", va="bottom", color=INK, bbox=ground, **style)


def coverage_map_svg(features: list[dict], labels: list[Label] = ()) -> str:
    return _svg(coverage_map_figure(features, labels))
