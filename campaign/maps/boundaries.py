"""Boundary import: a GeoJSON FeatureCollection of Polygons or MultiPolygons (WGS-84), matched to
areas by division code. Every feature is checked first; one bad feature imports nothing. What is
stored is only the type and the longitudes and latitudes, simplified to what a map draws
(:mod:`.geometry`); the original file stays with whoever made it."""
from __future__ import annotations

import json
import math

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area
from campaign.areas.scope import within_any
from campaign.audit.services import record
from campaign.core.imports import CHECKING, WRITING
from campaign.core.tabular import FileFormatError, ImportReport
from campaign.core.text import clean_code
from campaign.extensions import db
from campaign.jobs import runner

from .geometry import HARD_CAP, drawable, position_count
from .models import AreaBoundary

CODE_KEYS = ("code", "adcode", "区划代码", "village_code", "division_code")
EXAMPLE = {"type": "FeatureCollection", "features": [{
    "type": "Feature", "properties": {"code": "610923100001", "name": "城南社区"},
    "geometry": {"type": "Polygon", "coordinates": [[[108.31, 33.32], [108.33, 33.32], [108.33, 33.34],
                                                     [108.31, 33.34], [108.31, 33.32]]]}}]}


def _ring_problem(ring) -> str | None:
    if not isinstance(ring, list) or len(ring) < 4:
        return str(_l("A ring needs at least four positions."))
    for position in ring:
        if (not isinstance(position, list) or len(position) < 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                           for v in position[:2])):
            return str(_l("A position is not a pair of numbers."))
        if not (-180 <= position[0] <= 180 and -90 <= position[1] <= 90):
            return str(_l("A position is outside longitude −180…180 and latitude −90…90."))
    if ring[0][:2] != ring[-1][:2]:
        return str(_l("A ring does not end where it starts."))
    return None


def geometry_problem(geometry) -> str | None:
    """Why a geometry cannot be a boundary, or None."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return str(_l("The geometry is not a Polygon or MultiPolygon."))
    polygons = geometry.get("coordinates")
    if not isinstance(polygons, list) or not polygons:
        return str(_l("The geometry has no coordinates."))
    count = position_count(polygons, 2 if geometry["type"] == "Polygon" else 3)
    if count > HARD_CAP:
        return str(_l("The boundary has %(count)s positions, more than the %(limit)s a boundary may have. "
                      "Simplify it in your GIS software (to about 10 m) and import it again.",
                      count=f"{count:,}", limit=f"{HARD_CAP:,}"))
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return str(_l("The geometry has no coordinates."))
        for ring in polygon:
            problem = _ring_problem(ring)
            if problem:
                return problem
    return None


def import_boundaries(data: bytes, *, scope_codes: list[str] | None = None, user=None) -> ImportReport:
    if not data.strip():
        raise FileFormatError(_l("The file is empty."), field="file")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise FileFormatError(_l("This is not a GeoJSON file."), field="file") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection" \
            or not isinstance(document.get("features"), list):
        raise FileFormatError(_l("A GeoJSON FeatureCollection is expected."), field="file")
    features = document["features"]
    if not features:
        raise FileFormatError(_l("The file has no features."), field="file")
    codes = []
    for feature in features:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        properties = properties if isinstance(properties, dict) else {}
        codes.append(next((clean_code(properties[k]) for k in CODE_KEYS if properties.get(k) not in (None, "")), ""))
    query = sa.select(Area).where(Area.code.in_(set(codes)))
    if scope_codes is not None:
        query = query.where(within_any(Area.code, scope_codes))
    areas = {a.code: a for a in db.session.scalars(query)}
    report, ready, seen = ImportReport(), [], {}
    checked = enumerate(zip(features, codes, strict=True), start=1)
    for number, (feature, code) in runner.track(checked, CHECKING, total=len(features)):
        if not code:
            report.add(number, _l("The feature has no division code (properties.code)."), "code")
            continue
        if code not in areas:
            report.add(number, _l("Unknown area code %(code)s.", code=code), "code")
            continue
        problem = geometry_problem(feature.get("geometry"))
        geometry = None if problem else drawable(feature["geometry"])
        if problem or geometry is None:
            report.add(number, problem or _l("The geometry encloses no area."), "geometry")
            continue
        if code in seen:
            report.add(number, _l("The same area as feature %(line)s.", line=seen[code]), "code")
            continue
        seen[code] = number
        ready.append((areas[code], geometry))
    report.rows = len(ready)
    if report.ok:
        for area, geometry in runner.track(ready, WRITING):
            shape = json.dumps(geometry)
            boundary = db.session.get(AreaBoundary, area.id)
            if boundary is None:
                db.session.add(AreaBoundary(area_id=area.id, geometry=shape))
            else:
                boundary.geometry = shape
        db.session.flush()
        record(action="import", subject="area_boundary", subject_id=0, user=user,
               area_code=scope_codes[0] if scope_codes else None, changes={"areas": [None, len(ready)]})
    return report
