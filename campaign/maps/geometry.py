"""Boundaries kept to what a map can draw: at most ``MAX_POSITIONS`` positions a feature, after
dropping detail finer than about ten metres (shapely, keeping every ring closed and valid). A
feature still too detailed keeps every n-th position of its rings.

A county's village boundary from a survey can hold hundreds of thousands of positions; a township
map draws dozens of them in the browser and in the PDF report, where ten metres is below one pixel.
"""
from __future__ import annotations

import math

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

HARD_CAP = 200_000     # positions of one feature: refused above this, before any work on it
MAX_POSITIONS = 5_000  # positions of one stored (and drawn) feature
TOLERANCE = 0.0001     # degrees, about 10 m: the detail dropped
SIMPLIFIED_FROM = 20_000  # positions thinned to before simplifying (its time grows with the square)
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


def _thinned(geometry: dict, budget: int) -> dict:
    """Every n-th position of each ring, so that the feature keeps about ``budget``: linear time, where
    simplifying a jagged ring of 60,000 positions takes seconds. Small rings are left whole."""
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    total = sum(len(ring) for polygon in polygons for ring in polygon)
    stride = math.ceil(total / budget)
    if stride <= 1:
        return geometry

    def thin(ring):
        if len(ring) < 4 * stride:
            return ring
        kept = ring[:-1:stride]
        return [*kept, kept[0]]
    thinned = [[thin(ring) for ring in polygon] for polygon in polygons]
    return {"type": geometry["type"], "coordinates": thinned if geometry["type"] == "MultiPolygon" else thinned[0]}


def _as_dict(geometry) -> dict:
    drawn = mapping(geometry)
    return {"type": drawn["type"], "coordinates": _lists(drawn["coordinates"])}


def drawable(geometry: dict) -> dict | None:
    """The GeoJSON Polygon or MultiPolygon to store and draw, with at most ``MAX_POSITIONS`` positions;
    None when nothing of it encloses an area. ``geometry`` must have passed the import's checks."""
    simple = _polygonal(shape(_thinned(_plain(geometry), SIMPLIFIED_FROM)))
    if simple is None:
        return None
    simple = _polygonal(shapely.simplify(simple, TOLERANCE, preserve_topology=True)) or simple
    if shapely.get_num_coordinates(simple) > MAX_POSITIONS:
        simple = _polygonal(shape(_thinned(_as_dict(simple), MAX_POSITIONS * 9 // 10))) or simple.envelope
    if geometry["type"] == "MultiPolygon" and isinstance(simple, Polygon):
        simple = MultiPolygon([simple])
    drawn = _as_dict(simple)
    return {"type": drawn["type"], "coordinates": _rounded(drawn["coordinates"])}


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
