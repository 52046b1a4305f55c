"""Operations on households. They keep area household counts exact; they never commit."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area, AreaLevel
from campaign.areas.services import adjust_household_count
from campaign.core.errors import DomainError
from campaign.core.text import clean_phone, clean_text, fold, is_valid_phone
from campaign.extensions import db

from . import history
from .models import Household

MAX_MEMBERS = 99


@dataclass
class HouseholdFields:
    """Checked and normalised values for one household."""

    door_label: str
    head_name: str | None
    phone: str | None
    members: int
    elderly_alone: bool
    at_risk: bool
    lat: float | None
    lon: float | None


def check_fields(*, door_label: str, head_name: str | None, phone: str | None, members: int | str,
                 elderly_alone: bool, at_risk: bool, lat: float | str | None,
                 lon: float | str | None) -> HouseholdFields:
    """Normalise and check one household's values. Raises DomainError naming the bad field."""
    door_label = clean_text(door_label)
    if not door_label:
        raise DomainError(_l("The door label is empty."), field="door_label")
    if len(door_label) > 120:
        raise DomainError(_l("The door label is longer than 120 characters."), field="door_label")
    head_name = clean_text(head_name) or None
    if head_name and len(head_name) > 40:
        raise DomainError(_l("The name is longer than 40 characters."), field="head_name")
    phone = clean_phone(phone) or None
    if phone and not is_valid_phone(phone):
        raise DomainError(_l("%(phone)s is not a mobile (11 digits) or landline number.", phone=phone),
                          field="phone")
    try:
        members = int(fold(members)) if str(members).strip() != "" else 1
    except ValueError:
        raise DomainError(_l("Members must be a whole number."), field="members") from None
    if not 1 <= members <= MAX_MEMBERS:
        raise DomainError(_l("Members must be between 1 and %(max)s.", max=MAX_MEMBERS), field="members")
    lat, lon = _coordinate(lat, "lat", 90), _coordinate(lon, "lon", 180)
    if (lat is None) != (lon is None):
        raise DomainError(_l("Give both latitude and longitude, or neither."), field="lat")
    if lat == 0 and lon == 0:  # what a blank GPS field exports as: the Gulf of Guinea, not the county
        raise DomainError(_l("Latitude and longitude 0,0 is no location: leave both empty instead."), field="lat")
    return HouseholdFields(door_label, head_name, phone, members, bool(elderly_alone), bool(at_risk), lat, lon)


def _coordinate(value, field: str, limit: int) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = float(fold(value))
    except ValueError:
        raise DomainError(_l("%(value)s is not a number.", value=value), field=field) from None
    if not -limit <= number <= limit:
        raise DomainError(_l("%(value)s is out of range.", value=value), field=field)
    return number


def _check_grid(grid: Area) -> None:
    if grid.level is not AreaLevel.GRID:
        raise DomainError(_l("Households belong to a grid."), field="grid_code")


def door_taken(grid_id: int, door_label: str, *, exclude_id: int | None = None) -> bool:
    query = sa.select(Household.id).where(Household.grid_id == grid_id, Household.door_label == door_label)
    if exclude_id is not None:
        query = query.where(Household.id != exclude_id)
    return db.session.scalar(query.limit(1)) is not None


def create_household(*, grid: Area, fields: HouseholdFields) -> Household:
    _check_grid(grid)
    if door_taken(grid.id, fields.door_label):
        raise DomainError(_l("This grid already has a household at that door label."), field="door_label")
    household = Household(grid=grid, **vars(fields))
    db.session.add(household)
    db.session.flush()
    history.placed(household)
    adjust_household_count(grid.id, +1)
    return household


def update_household(household: Household, *, grid: Area, fields: HouseholdFields) -> Household:
    _check_grid(grid)
    if door_taken(grid.id, fields.door_label, exclude_id=household.id):
        raise DomainError(_l("This grid already has a household at that door label."), field="door_label")
    old_grid_id = household.grid_id
    for name, value in vars(fields).items():
        setattr(household, name, value)
    household.grid = grid
    db.session.flush()
    if old_grid_id != grid.id:
        history.moved(household, old_grid_id)
        adjust_household_count(old_grid_id, -1)
        adjust_household_count(grid.id, +1)
    return household


def delete_household(household: Household) -> None:
    """Remove a household entered by mistake. One with visits stays: log it as vacant or moved."""
    from campaign.visits.models import Visit

    if db.session.scalar(sa.select(Visit.id).where(Visit.household_id == household.id).limit(1)) is not None:
        raise DomainError(_l("This household has visits, so it stays on record. Log it as vacant or moved "
                             "away instead."))
    grid_id = household.grid_id
    history.removed(household)
    db.session.delete(household)
    db.session.flush()
    adjust_household_count(grid_id, -1)
