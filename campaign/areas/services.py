"""Operations on areas. They change and flush, never commit: the request or command commits once."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from campaign.core.errors import DomainError
from campaign.core.inputs import is_digits
from campaign.extensions import db

from .models import CODE_SUFFIX_LENGTH, Area, AreaLevel, parent_code


def get_by_code(code: str) -> Area | None:
    return db.session.scalar(sa.select(Area).where(Area.code == code))


def _check_location(lat: float | None, lon: float | None) -> None:
    if (lat is None) != (lon is None):
        raise DomainError(_l("Give both latitude and longitude, or neither."), field="lat")
    if lat is not None and not (-90 <= lat <= 90):
        raise DomainError(_l("Latitude must be between -90 and 90."), field="lat")
    if lon is not None and not (-180 <= lon <= 180):
        raise DomainError(_l("Longitude must be between -180 and 180."), field="lon")


def create_area(*, parent: Area | None, code: str, name: str,
                lat: float | None = None, lon: float | None = None) -> Area:
    """Add an area. Its code must extend its parent's code by the digits of its level."""
    code, name = code.strip(), name.strip()
    if not is_digits(code):
        raise DomainError(_l("A division code has digits only."), field="code")
    if not name:
        raise DomainError(_l("Give a name."), field="name")
    level = AreaLevel.from_code(code)
    if parent is None:
        if level not in (AreaLevel.CITY, AreaLevel.COUNTY):
            raise DomainError(_l("Only a city (4 digits) or county (6 digits) can stand at the top."),
                              field="code")
    else:
        expected = parent.level.child
        if expected is None or level is not expected or parent_code(code) != parent.code:
            digits = CODE_SUFFIX_LENGTH.get(expected, 3) if expected else 0
            raise DomainError(
                _l("The code must be the parent's code %(parent)s followed by %(digits)s digits.",
                   parent=parent.code, digits=digits),
                field="code",
            )
    if get_by_code(code) is not None:
        raise DomainError(_l("The code %(code)s is already in use.", code=code), field="code")
    _check_location(lat, lon)
    area = Area(code=code, name=name, level=level, parent=parent, lat=lat, lon=lon)
    db.session.add(area)
    db.session.flush()
    return area


def update_area(area: Area, *, name: str, lat: float | None, lon: float | None) -> Area:
    """Rename or relocate an area. The code is its official identity and does not change."""
    name = name.strip()
    if not name:
        raise DomainError(_l("Give a name."), field="name")
    _check_location(lat, lon)
    area.name, area.lat, area.lon = name, lat, lon
    db.session.flush()
    return area


def delete_area(area: Area) -> None:
    """Remove an empty area: no sub-areas, households or people attached."""
    from campaign.accounts.models import User, user_grid

    if child_counts([area.id]).get(area.id):
        raise DomainError(_l("This area still has sub-areas."))
    if area.household_count:
        raise DomainError(_l("This area still has households."))
    attached = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.area_id == area.id))
    attached += db.session.scalar(
        sa.select(sa.func.count()).select_from(user_grid).where(user_grid.c.area_id == area.id))
    if attached:
        raise DomainError(_l("People are still assigned to this area."))
    db.session.delete(area)
    db.session.flush()


def children_of(area: Area) -> list[Area]:
    return list(db.session.scalars(sa.select(Area).where(Area.parent_id == area.id).order_by(Area.code)))


def child_counts(area_ids: list[int]) -> dict[int, int]:
    """How many direct sub-areas each of these areas has, in one query."""
    if not area_ids:
        return {}
    rows = db.session.execute(
        sa.select(Area.parent_id, sa.func.count()).where(Area.parent_id.in_(area_ids)).group_by(Area.parent_id)
    )
    return dict(rows.all())


def ancestor_ids(area_id: int) -> list[int]:
    """The area and every area above it."""
    ids, current = [], area_id
    while current is not None:
        ids.append(current)
        current = db.session.scalar(sa.select(Area.parent_id).where(Area.id == current))
    return ids


def adjust_household_count(grid_id: int, delta: int) -> None:
    """Add ``delta`` to the household count of a grid and every area above it, atomically in SQL."""
    if delta:
        db.session.execute(
            sa.update(Area).where(Area.id.in_(ancestor_ids(grid_id)))
            .values(household_count=Area.household_count + delta)
        )


def recount_households() -> None:
    """Rebuild every area's household count from the households (after bulk loads or to repair)."""
    from campaign.households.models import Household

    no_sync = {"synchronize_session": False}
    db.session.execute(sa.update(Area).values(household_count=0), execution_options=no_sync)
    per_grid = (
        sa.select(sa.func.count(Household.id)).where(Household.grid_id == Area.id).scalar_subquery()
    )
    db.session.execute(sa.update(Area).where(Area.level == AreaLevel.GRID).values(household_count=per_grid),
                       execution_options=no_sync)
    child = aliased(Area)
    for level in (AreaLevel.VILLAGE, AreaLevel.TOWNSHIP, AreaLevel.COUNTY, AreaLevel.CITY):
        total = (
            sa.select(sa.func.coalesce(sa.func.sum(child.household_count), 0))
            .where(child.parent_id == Area.id).scalar_subquery()
        )
        db.session.execute(sa.update(Area).where(Area.level == level).values(household_count=total),
                           execution_options=no_sync)
    db.session.expire_all()
