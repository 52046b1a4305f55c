"""Boundaries kept to what a map can draw: at most ``MAX_POSITIONS`` positions a feature, after
dropping detail finer than about ten metres (shapely, keeping every ring closed and valid).

A county's village boundary from a survey can hold hundreds of thousands of positions; a township
map draws dozens of them in the browser and in the PDF report, where ten metres is below one pixel.
"""
from __future__ import annotations

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

HARD_CAP = 200_000     # positions of one feature: refused above this, before any work on it
MAX_POSITIONS = 5_000  # positions of one stored (and drawn) feature
TOLERANCE = 0.0001     # degrees, about 10 m: the detail first dropped
DIGITS = 6             # decimals kept, about 0.1 m


def position_count(coordinates, depth: int) -> int:
    """Positions of a Polygon (``depth`` 2) or MultiPolygon (``depth`` 3), without building anything."""
    if depth == 1:
        return len(coordinates) if isinstance(coordinates, list) else 0
    if not isinstance(coordinates, list):
        return 0
    return sum(position_count(part, depth - 1) for part in coordinates)


def _plain(geometry: dict) -> dict:
    """Only type and longitude/latitude: foreign members, bbox, crs and heights are dropped."""
    def rings(polygon):
        return [[[float(p[0]), float(p[1])] for p in ring] for ring in polygon]
    coordinates = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": rings(coordinates)}
    return {"type": "MultiPolygon", "coordinates": [rings(polygon) for polygon in coordinates]}


def _polygonal(geometry) -> Polygon | MultiPolygon | None:
    """The areas of a geometry, made valid (a self-crossing ring becomes the areas it encloses)."""
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    parts = [geometry] if isinstance(geometry, (Polygon, MultiPolygon)) else list(getattr(geometry, "geoms", []))
    polygons = [p for part in parts for p in (part.geoms if isinstance(part, MultiPolygon) else [part])
                if isinstance(p, Polygon) and not p.is_empty]
    if not polygons:
        return None
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def _rounded(coordinates):
    if coordinates and isinstance(coordinates[0], (int, float)):
        return [round(coordinates[0], DIGITS), round(coordinates[1], DIGITS)]
    return [_rounded(part) for part in coordinates]


def drawable(geometry: dict) -> dict | None:
    """The GeoJSON Polygon or MultiPolygon to store and draw, with at most ``MAX_POSITIONS`` positions;
    None when nothing of it encloses an area. ``geometry`` must have passed the import's checks."""
    simple = _polygonal(shape(_plain(geometry)))
    if simple is None:
        return None
    tolerance = TOLERANCE
    simple = _polygonal(shapely.simplify(simple, TOLERANCE, preserve_topology=True)) or simple
    while shapely.get_num_coordinates(simple) > MAX_POSITIONS:
        tolerance *= 2
        simple = _polygonal(shapely.simplify(simple, tolerance, preserve_topology=True)) or simple
        if tolerance > 1:  # a degree: no village is that detailed; its outline rather than a loop
            simple = simple.convex_hull if shapely.get_num_coordinates(simple.convex_hull) <= MAX_POSITIONS \
                else simple.envelope
            break
    if geometry["type"] == "MultiPolygon" and isinstance(simple, Polygon):
        simple = MultiPolygon([simple])
    drawn = mapping(simple)
    return {"type": drawn["type"], "coordinates": _rounded(_lists(drawn["coordinates"]))}


def _lists(coordinates):
    if coordinates and isinstance(coordinates[0], (int, float)):
        return list(coordinates)
    return [_lists(part) for part in coordinates]


def light(geometry: dict) -> dict | None:
    """A stored boundary as drawn: one stored before the cap came in is simplified when read
    (None, drawn as the village's point, when it cannot be)."""
    depth = 2 if geometry.get("type") == "Polygon" else 3
    if position_count(geometry.get("coordinates"), depth) <= MAX_POSITIONS:
        return geometry
    try:
        return drawable(geometry)
    except (ValueError, TypeError, IndexError, KeyError, shapely.errors.ShapelyError):
        return None
