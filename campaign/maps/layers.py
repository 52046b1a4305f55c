"""The map's data, one GeoJSON FeatureCollection per theme, read from what is already recorded.
Properties are short keys to keep a city map small: n name, k code, c colour, and a few figures."""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import sqlalchemy as sa

from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within, within_any
from campaign.coverage.services import level_figures
from campaign.creation.access import targets_query
from campaign.creation.models import CreationTarget, TargetStatus
from campaign.extensions import db
from campaign.households.models import Household
from campaign.incidents.models import Incident, IncidentKind
from campaign.warnings.access import warnings_query
from campaign.warnings.models import FraudWarning

from .geometry import light
from .models import AreaBoundary

Shift = Callable[[float, float], tuple[float, float]]

# Coverage bands, worst first: (lowest coverage, colour). Grey when nothing is in scope.
BANDS = [(0.0, "#d7301f"), (0.5, "#fc8d59"), (0.8, "#fee08b"), (0.95, "#1a9850")]
NO_DATA = "#9e9e9e"
ZERO, WITH_CASES = "#1a9850", "#d7301f"
TARGET_COLOURS = {TargetStatus.CERTIFIED: "#1a9850", TargetStatus.REVOKED: "#d7301f"}
WARNING_COLOUR, OVERDUE_COLOUR, HOUSEHOLD_COLOUR = "#fd8d3c", "#b10026", "#3182bd"


def coverage_colour(coverage: float | None) -> str:
    if coverage is None:
        return NO_DATA
    return next(colour for floor, colour in reversed(BANDS) if coverage >= floor)


def _point(lat: float, lon: float, shift: Shift) -> dict:
    lat, lon = shift(lat, lon)
    return {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]}


def positions(coordinates):
    """Every [lon, lat] of a GeoJSON geometry's coordinates, however deeply nested."""
    if coordinates and isinstance(coordinates[0], (int, float)):
        yield coordinates
    else:
        for part in coordinates:
            yield from positions(part)


def _shift_coordinates(coordinates, shift: Shift):
    if coordinates and isinstance(coordinates[0], (int, float)):
        lat, lon = shift(coordinates[1], coordinates[0])
        return [round(lon, 5), round(lat, 5)]
    return [_shift_coordinates(part, shift) for part in coordinates]


def _collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def _villages(area: Area) -> list[Area]:
    return list(db.session.scalars(sa.select(Area).where(within(Area.code, area.code), Area.level == AreaLevel.VILLAGE)
                                   .order_by(Area.code)))


def shapes_for(area: Area, shift: Shift) -> dict[int, dict]:
    """Village boundaries imported for the area, by area id, shifted for the tiles."""
    rows = db.session.execute(sa.select(AreaBoundary.area_id, AreaBoundary.geometry).join(Area)
                              .where(within(Area.code, area.code)))
    shapes = {}
    for area_id, geometry in rows:
        shape = light(json.loads(geometry))
        if shape is not None:
            shapes[area_id] = {"type": shape["type"], "coordinates": _shift_coordinates(shape["coordinates"], shift)}
    return shapes


def _geometry(village: Area, shapes: dict[int, dict], shift: Shift) -> dict | None:
    if village.id in shapes:
        return shapes[village.id]
    if village.lat is None or village.lon is None:
        return None
    return _point(village.lat, village.lon, shift)


def coverage_layer(area: Area, round_id: int | None, shift: Shift, shapes: dict[int, dict] | None = None) -> dict:
    """Every village coloured by its coverage in the round: polygons where boundaries exist, else points."""
    shapes = shapes_for(area, shift) if shapes is None else shapes
    figures = {a.id: f for a, f in level_figures(round_id, area, AreaLevel.VILLAGE)} if round_id else {}
    features = []
    for village in _villages(area):
        geometry = _geometry(village, shapes, shift)
        if geometry is None:
            continue
        f = figures.get(village.id)
        coverage = f.coverage if f else None
        features.append({"type": "Feature", "geometry": geometry, "properties": {
            "n": village.name, "k": village.code, "c": coverage_colour(coverage),
            "v": None if coverage is None else round(coverage * 100, 1),
            "r": f.reached if f else 0, "s": f.in_scope if f else village.household_count}})
    return _collection(features)


def zero_layer(area: Area, start: date, end: date, shift: Shift, shapes: dict[int, dict] | None = None) -> dict:
    """Villages with no fraud case in the period (green), and those with cases (red, with the count)."""
    shapes = shapes_for(area, shift) if shapes is None else shapes
    cases = dict(db.session.execute(
        sa.select(Incident.village_id, sa.func.count()).join(Area, Area.id == Incident.village_id)
        .where(within(Area.code, area.code), Incident.kind == IncidentKind.CASE,
               Incident.occurred_on.between(start, end)).group_by(Incident.village_id)).all())
    features = []
    for village in _villages(area):
        geometry = _geometry(village, shapes, shift)
        if geometry is not None:
            n = int(cases.get(village.id, 0))
            features.append({"type": "Feature", "geometry": geometry, "properties": {
                "n": village.name, "k": village.code, "c": WITH_CASES if n else ZERO, "x": n}})
    return _collection(features)


def targets_layer(area: Area, user, shift: Shift) -> dict:
    """Certified and revoked targets, at their area's location."""
    features = []
    for target in db.session.scalars(targets_query(user, area=area).where(
            CreationTarget.status.in_(list(TARGET_COLOURS)))):
        where = target.area
        if where.lat is None or where.lon is None:
            continue
        certificate = target.certificate
        features.append({"type": "Feature", "geometry": _point(where.lat, where.lon, shift), "properties": {
            "n": target.name, "t": target.id, "c": TARGET_COLOURS[target.status], "st": target.status.value,
            "sl": str(target.status.label), "sn": certificate.serial if certificate else ""}})
    return _collection(features)


def warnings_layer(area: Area, user, shift: Shift, now) -> dict:
    """Open warnings at the household's door, or at their village or grid."""
    features = []
    for warning in db.session.scalars(warnings_query(user, area=area).where(FraudWarning.closed_at.is_(None))):
        place = warning.household if warning.household and warning.household.lat is not None else warning.area
        if place.lat is None or place.lon is None:
            continue
        overdue = warning.overdue(now)
        features.append({"type": "Feature", "geometry": _point(place.lat, place.lon, shift), "properties": {
            "n": warning.area.name, "w": warning.id, "l": str(warning.level.label), "o": overdue,
            "c": OVERDUE_COLOUR if overdue else WARNING_COLOUR}})
    return _collection(features)


def households_layer(user, shift: Shift) -> dict:
    """A grid worker's own households with a location."""
    rows = db.session.execute(
        sa.select(Household.id, Household.door_label, Household.lat, Household.lon)
        .join(Area, Area.id == Household.grid_id)
        .where(within_any(Area.code, user.scope_codes()), Household.lat.is_not(None)).order_by(Household.id))
    return _collection([{"type": "Feature", "geometry": _point(lat, lon, shift), "properties": {"n": label, "h": hid}}
                        for hid, label, lat, lon in rows])
