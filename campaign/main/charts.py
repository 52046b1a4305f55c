"""Where the home page's two charts put their lines, bars and labels. The SVG itself is written by
templates/main/_trend.html and _cases.html, inline in the page, with its text as text (in the page's own
font, readable in Chinese and English) and a <title> and <desc>. Drawing per request costs microseconds,
where Matplotlib took about a second a chart on a loaded server; the trend changes with every household
reached, so a drawn chart could rarely be kept."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

WIDTH, LEFT, RIGHT, TOP, BOTTOM = 640, 46, 14, 12, 30


@dataclass
class Tick:
    at: float
    label: str


@dataclass
class Line:
    points: str  # "x,y x,y …" for a <polyline>
    end: tuple[float, float]  # the last point, marked and labelled
    value: float


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float


@dataclass
class Plot:
    width: int
    height: int
    left: float = LEFT
    top: float = TOP
    right: float = 0
    bottom: float = 0
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)


def _plot(height: int, width: int = WIDTH, left: int = LEFT) -> Plot:
    return Plot(width=width, height=height, left=left, right=width - RIGHT, bottom=height - BOTTOM)


@dataclass
class TrendChart:
    plot: Plot
    current: Line | None
    last: Line | None
    target_y: float  # the 95 % line


def day_step(length: int) -> int:
    """Label every day of a short round, every week of a long one."""
    return 1 if length <= 10 else 2 if length <= 20 else 7 if length <= 70 else 14


def trend_chart(length: int, current: list[float] | None, last: list[float] | None, *,
                height: int = 240) -> TrendChart:
    """Coverage shares (0–1) by day of the round, on a 0–100 % axis over ``length`` days."""
    plot = _plot(height)
    span = max(length - 1, 1)

    def x(day: int) -> float:  # day 1 at the left edge
        return plot.left + (day - 1) / span * (plot.right - plot.left)

    def y(share: float) -> float:
        return plot.bottom - share * (plot.bottom - plot.top)

    plot.y_ticks = [Tick(y(p / 100), f"{p}%") for p in (0, 25, 50, 75, 100)]
    step = day_step(length)
    plot.x_ticks = [Tick(x(d), str(d)) for d in [1, *range(step if step > 1 else 2, length + 1, step)]]

    def line(values: list[float] | None) -> Line | None:
        if not values:
            return None
        points = [(round(x(n), 1), round(y(v), 1)) for n, v in enumerate(values, start=1)]
        return Line(points=" ".join(f"{a},{b}" for a, b in points), end=points[-1], value=values[-1])

    return TrendChart(plot=plot, current=line(current), last=line(last), target_y=round(y(0.95), 1))


@dataclass
class CasesChart:
    plot: Plot
    before: list[Bar]
    now: list[Bar]


def nice_step(top: int, ticks: int = 5) -> int:
    """A step of 1, 2 or 5 times a power of ten giving at most ``ticks`` steps up to ``top``."""
    if top <= ticks:
        return 1
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def cases_chart(monthly: list[tuple[date, int, int]], *, width: int = 380, height: int = 200) -> CasesChart:
    """Cases per month beside the same month a year earlier (``monthly``: month, cases, a year earlier),
    for a card a third of the page wide: the months by their number."""
    plot = _plot(height, width, left=34)
    top = max([1, *(max(n, b) for _m, n, b in monthly)])
    step = nice_step(top)
    ceiling = math.ceil(top / step) * step

    def y(value: float) -> float:
        return plot.bottom - value / ceiling * (plot.bottom - plot.top)

    plot.y_ticks = [Tick(round(y(v), 1), str(v)) for v in range(0, ceiling + 1, step)]
    slot = (plot.right - plot.left) / max(len(monthly), 1)
    width = slot * 0.34
    before, now = [], []
    for n, (month, cases, earlier) in enumerate(monthly):
        middle = plot.left + slot * (n + 0.5)
        plot.x_ticks.append(Tick(round(middle, 1), str(month.month)))
        for bars, value, x in ((before, earlier, middle - width), (now, cases, middle)):
            bars.append(Bar(x=round(x, 1), y=round(y(value), 1), width=round(width, 1),
                            height=round(plot.bottom - y(value), 1)))
    return CasesChart(plot=plot, before=before, now=now)
