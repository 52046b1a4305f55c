"""Which household a warning is about: the warning's phone compared with the household register through
the household phone's blind index, inside the warning's township. The register is never read to do it,
and an official learns only whom to assign (the grid's workers), never the household; the assigned
worker sees the household when it lies in one of their grids."""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from campaign.accounts.models import Role, User, user_grid
from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within
from campaign.extensions import db
from campaign.households.access import households_query
from campaign.households.models import Household, phone_index

from .models import FraudWarning

TOWNSHIP = 9  # digits of a division code that name the township (乡镇/街道)


def match_household(warning: FraudWarning) -> None:
    """Link the warning to the one household of its township registered with its phone, and note the grid
    when every such household lies in one grid; clear both when the phone matches none, or several grids."""
    household = grid = None
    digest = phone_index(warning.phone)
    if digest is not None:
        found = db.session.execute(
            sa.select(Household.id, Household.grid_id).join(Area, Area.id == Household.grid_id)
            .where(Household.phone_index == digest, Household.erased_at.is_(None),
                   within(Area.code, warning.area.code[:TOWNSHIP]))).all()
        grids = {grid_id for _, grid_id in found}
        if len(grids) == 1:
            grid = db.session.get(Area, grids.pop())
            household = db.session.get(Household, found[0].id) if len(found) == 1 else None
    warning.household, warning.matched_grid = household, grid


def proposed_workers(warning: FraudWarning) -> list[User]:
    """The active grid workers of the grid the warning's phone was found in, while the warning is open."""
    if warning.matched_grid_id is None or not warning.is_open:
        return []
    return list(db.session.scalars(
        sa.select(User).join(user_grid, user_grid.c.user_id == User.id)
        .where(user_grid.c.area_id == warning.matched_grid_id, User.role == Role.WORKER, User.active.is_(True))
        .order_by(User.display_name, User.id)))


def households_for(warnings: Iterable[FraudWarning], user) -> dict[int, Household]:
    """The matched households the user may see, by warning id: only a warning's assigned worker sees its
    household, and only when it lies in one of their grids."""
    wanted = {w.id: w.household_id for w in warnings if w.household_id is not None and w.assigned_to_id == user.id}
    if not wanted or user.role is not Role.WORKER:
        return {}
    found = {h.id: h for h in db.session.scalars(households_query(user).where(Household.id.in_(set(wanted.values()))))}
    return {warning_id: found[household_id] for warning_id, household_id in wanted.items() if household_id in found}


def household_view(household: Household) -> dict:
    """What the worker is shown of the household: door label, grid name and the head's name masked."""
    return {"id": household.id, "door_label": household.door_label, "grid_name": household.grid.name,
            "head": household.masked_name}


def home_grid(warning: FraudWarning) -> Area | None:
    """The grid the warning belongs to: its own area when that is a grid, else its household's grid (the grid
    its phone was matched to)."""
    if warning.area.level is AreaLevel.GRID:
        return warning.area
    if warning.household is not None:
        return warning.household.grid
    return warning.matched_grid


def grid_worker(warning: FraudWarning, allowed: Iterable[int]) -> User | None:
    """Whom the assign form offers first, among the ``allowed`` worker ids: a worker of the warning's own grid;
    without a known grid, the one worker of its village's grids when there is only one."""
    allowed = set(allowed)
    grid = home_grid(warning)
    query = (sa.select(User).join(user_grid, user_grid.c.user_id == User.id).join(Area, Area.id == user_grid.c.area_id)
             .where(User.role == Role.WORKER, User.active.is_(True), User.id.in_(allowed))
             .distinct().order_by(User.display_name, User.id))
    if grid is not None:
        return db.session.scalars(query.where(Area.id == grid.id).limit(1)).first()
    found = db.session.scalars(query.where(within(Area.code, warning.area.code)).limit(2)).all()
    return found[0] if len(found) == 1 else None
