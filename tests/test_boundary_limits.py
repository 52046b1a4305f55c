"""Boundaries too detailed to draw: refused past a cap, simplified to what a map can draw when
imported, and simplified when drawn if they were stored before; only type and coordinates are kept."""
import json
import math
import time

import shapely
import sqlalchemy as sa
from shapely.geometry import shape

from campaign.accounts.models import User
from campaign.extensions import db
from campaign.maps.boundaries import import_boundaries
from campaign.maps.geometry import MAX_POSITIONS
from campaign.maps.models import AreaBoundary

from .test_maps import _area, mapped  # noqa: F401  (the fixture)

VILLAGE = "610923100001"  # 城南社区, in the township 610923100


def circle(positions: int, jag: float = 0.0) -> list:
    """A closed ring of ``positions`` around 城南社区; with ``jag`` every other position sticks out."""
    ring = []
    for i in range(positions - 1):
        angle = 2 * math.pi * i / (positions - 1)
        radius = 0.01 + (jag if i % 2 else 0)
        ring.append([round(108.30 + radius * math.cos(angle), 7), round(33.30 + radius * math.sin(angle), 7)])
    return [*ring, ring[0]]


def collection(ring: list, **geometry_members) -> bytes:
    geometry = {"type": "Polygon", "coordinates": [ring], **geometry_members}
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": VILLAGE}, "geometry": geometry}]}).encode()


def admin():
    return db.session.scalar(sa.select(User).where(User.username == "admin"))


def stored():
    return db.session.scalar(sa.select(AreaBoundary.geometry).where(AreaBoundary.area_id == _area(VILLAGE).id))


def positions(geometry: dict) -> int:
    return shapely.get_num_coordinates(shape(geometry))


def test_a_boundary_of_500000_positions_is_refused_at_once_with_the_limit(ctx, mapped):  # noqa: F811
    data = collection(circle(500_000))
    began = time.monotonic()
    report = import_boundaries(data, user=admin())
    assert time.monotonic() - began < 20
    assert not report.ok and "200,000" in report.errors[0].reason and report.errors[0].column == "geometry"
    assert stored() is None


def test_a_detailed_boundary_is_stored_simplified_closed_and_valid(ctx, mapped):  # noqa: F811
    report = import_boundaries(collection(circle(150_000)), user=admin())
    db.session.commit()
    assert report.ok
    text = stored()
    geometry = json.loads(text)
    ring = geometry["coordinates"][0]
    assert positions(geometry) <= MAX_POSITIONS and len(text) < 100_000
    assert ring[0] == ring[-1] and shape(geometry).is_valid
    assert abs(shape(geometry).area - math.pi * 0.01 ** 2) < 0.01 * math.pi * 0.01 ** 2  # the same village


def test_a_jagged_boundary_that_ten_metres_cannot_simplify_is_cut_to_the_position_cap(ctx, mapped):  # noqa: F811
    assert import_boundaries(collection(circle(60_001, jag=0.002)), user=admin()).ok
    geometry = json.loads(stored())
    assert positions(geometry) <= MAX_POSITIONS and shape(geometry).is_valid


def test_only_type_and_longitude_latitude_are_stored(ctx, mapped):  # noqa: F811
    ring = [[*position, 450.5] for position in circle(5)]
    data = collection(ring, bbox=[108, 33, 109, 34], crs={"type": "name"}, foreign={"x": "<script>"})
    assert import_boundaries(data, user=admin()).ok
    geometry = json.loads(stored())
    assert set(geometry) == {"type", "coordinates"} and all(len(p) == 2 for p in geometry["coordinates"][0])


def test_the_township_map_answers_fast_over_a_huge_boundary_stored_before_the_cap(app, client, auth, mapped):  # noqa: F811
    with app.app_context():
        db.session.add(AreaBoundary(area_id=_area(VILLAGE).id,
                                    geometry=json.dumps({"type": "Polygon", "coordinates": [circle(200_000)]})))
        db.session.commit()
    auth.login("admin")
    began = time.monotonic()
    frame = client.get("/maps/610923100/frame")
    assert frame.status_code == 200 and time.monotonic() - began < 10
    assert '"Polygon"' in frame.get_data(as_text=True) and len(frame.data) < 1_000_000
