"""The app's icons in PNG and ICO, drawn with Pillow from the design of ``static/img/favicon.svg``: a white
shield with a red tick on the brand's red. The images are committed; after a change to the design, remake
them with ``python -m campaign.pwa.icons``.

- ``icon-192.png``, ``icon-512.png``: the rounded red tile, transparent corners (manifest, purpose "any");
- ``icon-maskable-512.png``: red to the edges, the shield inside the central safe circle (purpose "maskable":
  Android cuts its own shape out of it);
- ``apple-touch-icon.png`` (180 px): red to the edges too, as iOS rounds the corners itself and would
  show transparent ones black;
- ``favicon.ico``: 16, 32 and 48 px, for browsers that ask for /favicon.ico.
"""
from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

IMG = Path(__file__).resolve().parent.parent.parent / "static" / "img"
BRAND = "#b3261e"
WHITE = "#ffffff"
SUPERSAMPLE = 4  # drawn this many times larger, then scaled down: smooth edges without an SVG renderer
VIEWBOX = 64  # the SVG's coordinates


def _cubic(p0, p1, p2, p3, steps: int = 24) -> list[tuple[float, float]]:
    points = []
    for i in range(1, steps + 1):
        t = i / steps
        u = 1 - t
        points.append((u ** 3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t ** 3 * p3[0],
                       u ** 3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t ** 3 * p3[1]))
    return points


# favicon.svg: M32 10 50 17v13c0 12-8 20-18 24-10-4-18-12-18-24V17z
SHIELD = [(32, 10), (50, 17), (50, 30), *_cubic((50, 30), (50, 42), (42, 50), (32, 54)),
          *_cubic((32, 54), (22, 50), (14, 42), (14, 30)), (14, 17)]
# favicon.svg: M24 33l6 6 11-13, stroke-width 5, round caps and joins
TICK = [(24, 33), (30, 39), (41, 26)]
TICK_WIDTH = 5


def draw(size: int, *, full_bleed: bool, scale: float = 1.0) -> Image.Image:
    """The icon at ``size`` pixels. ``full_bleed``: red to the edges (no rounded corners); ``scale``: the
    shield's size relative to the tile's, about the centre."""
    big = size * SUPERSAMPLE
    unit = big / VIEWBOX
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    canvas = ImageDraw.Draw(image)
    if full_bleed:
        canvas.rectangle((0, 0, big, big), fill=BRAND)
    else:
        canvas.rounded_rectangle((0, 0, big - 1, big - 1), radius=12 * unit, fill=BRAND)

    def at(point):
        return ((VIEWBOX / 2 + (point[0] - VIEWBOX / 2) * scale) * unit,
                (VIEWBOX / 2 + (point[1] - VIEWBOX / 2) * scale) * unit)

    canvas.polygon([at(p) for p in SHIELD], fill=WHITE)
    width = TICK_WIDTH * scale * unit
    tick = [at(p) for p in TICK]
    for (x0, y0), (x1, y1) in zip(tick, tick[1:], strict=False):  # each segment as an exact quadrilateral
        length = math.hypot(x1 - x0, y1 - y0)
        dx, dy = (y1 - y0) / length * width / 2, (x0 - x1) / length * width / 2
        canvas.polygon([(x0 + dx, y0 + dy), (x1 + dx, y1 + dy), (x1 - dx, y1 - dy), (x0 - dx, y0 - dy)], fill=BRAND)
    for x, y in tick:  # round caps and joins
        canvas.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=BRAND)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def make_icons(folder: Path = IMG) -> list[Path]:
    """Write every icon into ``folder``; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, image in (("icon-192.png", draw(192, full_bleed=False)),
                        ("icon-512.png", draw(512, full_bleed=False)),
                        # the safe zone is the central circle of 80 % of the width; the shield's farthest
                        # corner sits at 0.37 of the width at scale 1, 0.31 at 0.85
                        ("icon-maskable-512.png", draw(512, full_bleed=True, scale=0.85)),
                        ("apple-touch-icon.png", draw(180, full_bleed=True, scale=0.9).convert("RGB"))):
        path = folder / name
        image.save(path, optimize=True)
        written.append(path)
    sizes = [16, 32, 48]
    frames = [draw(size, full_bleed=False) for size in sizes]
    path = folder / "favicon.ico"
    frames[-1].save(path, format="ICO", sizes=[(s, s) for s in sizes], append_images=frames[:-1])
    written.append(path)
    return written


if __name__ == "__main__":
    for written in make_icons():
        print(written)
