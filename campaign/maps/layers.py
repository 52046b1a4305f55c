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
from campaign.visits.models import OUTCOME_LABELS, RoundHousehold
from campaign.warnings.access import warnings_query
from campaign.warnings.models import FraudWarning

from .geometry import light
from .models import AreaBoundary
from .palettes import CERTIFIED, COVERAGE_BANDS, HOUSEHOLD_STATUS, OVERDUE, REVOKED, SHAPES, WARNING, WITH_CASES, ZERO
from .palettes import NO_DATA as NO_DATA  # the reports draw the same bands
from .palettes import coverage_colour as coverage_colour

Shift = Callable[[float, float], tuple[float, float]]

# Colours live in palettes.py; these names stay for the reports that draw the same bands.
BANDS = list(COVERAGE_BANDS)
TARGET_MARKS = {TargetStatus.CERTIFIED: (CERTIFIED, SHAPES["certified"]),
                TargetStatus.REVOKED: (REVOKED, SHAPES["revoked"])}


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
            CreationTarget.status.in_(list(TARGET_MARKS)))):
        where = target.area
        if where.lat is None or where.lon is None:
            continue
        certificate = target.certificate
        colour, shape = TARGET_MARKS[target.status]
        features.append({"type": "Feature", "geometry": _point(where.lat, where.lon, shift), "properties": {
            "n": target.name, "t": target.id, "c": colour, "m": shape, "st": target.status.value,
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
            "c": OVERDUE if overdue else WARNING}})
    return _collection(features)


def households_layer(user, shift: Shift, round_id: int | None = None) -> dict:
    """A grid worker's own households with a location, coloured by where each stands in the round: not
    visited, not home, refused, reached, or vacant (the latest visit decides unless one reached it)."""
    status = RoundHousehold.status if round_id else sa.null()
    query = (sa.select(Household.id, Household.door_label, Household.lat, Household.lon, status)
             .join(Area, Area.id == Household.grid_id)
             .where(within_any(Area.code, user.scope_codes()), Household.lat.is_not(None)).order_by(Household.id))
    if round_id:
        query = query.outerjoin(RoundHousehold, sa.and_(RoundHousehold.household_id == Household.id,
                                                        RoundHousehold.round_id == round_id))
    features = []
    for hid, label, lat, lon, outcome in db.session.execute(query):
        features.append({"type": "Feature", "geometry": _point(lat, lon, shift), "properties": {
            "n": label, "h": hid, "c": HOUSEHOLD_STATUS[outcome], "o": outcome.value if outcome else "",
            "sl": str(OUTCOME_LABELS[outcome]) if outcome else ""}})
    return _collection(features)
