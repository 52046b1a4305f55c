"""Where each household stood, and when (住户名册变动记录): a report for a past period counts the
roster as it was then. Every add, move between grids and removal writes here; a removed household's
spans stay, so past periods still count it."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from campaign.core.types import UTCDateTime, utcnow
from campaign.extensions import db

from .models import Household


class HouseholdPlacement(db.Model):
    """A span during which a household was on a grid's roster. ``until`` is empty while it still is.

    ``household_id`` is not a foreign key: the span outlives a household deleted from the roster.
    ``backfilled`` spans were made from registration dates when this history began (``recorded_at``);
    moves and removals before then are not known."""

    __tablename__ = "household_placement"
    __table_args__ = (sa.Index("ix_household_placement_grid_since", "grid_id", "since"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    household_id: so.Mapped[int] = so.mapped_column(index=True)
    grid_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("area.id", ondelete="CASCADE"))
    since: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    until: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    backfilled: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    recorded_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


def _close_open(household_id: int, at: datetime) -> int:
    return db.session.execute(
        sa.update(HouseholdPlacement)
        .where(HouseholdPlacement.household_id == household_id, HouseholdPlacement.until.is_(None))
        .values(until=at), execution_options={"synchronize_session": False}).rowcount


def placed(household: Household, *, at: datetime | None = None) -> None:
    """The household joined its grid's roster (added, or imported)."""
    at = at or utcnow()
    db.session.add(HouseholdPlacement(household_id=household.id, grid_id=household.grid_id, since=at,
                                      recorded_at=utcnow()))


def placed_in_bulk(grid_ids: list[int]) -> None:
    """After a bulk insert: every household of these grids without a span gets one from now (or from
    its creation, for one older than this history)."""
    has_span = sa.select(HouseholdPlacement.id).where(HouseholdPlacement.household_id == Household.id).exists()
    now = sa.literal(utcnow(), UTCDateTime)
    since = sa.case((Household.created_at < now, Household.created_at), else_=now)
    db.session.execute(sa.insert(HouseholdPlacement).from_select(
        ["household_id", "grid_id", "since", "backfilled", "recorded_at"],
        sa.select(Household.id, Household.grid_id, since, sa.literal(False), now)
        .where(Household.grid_id.in_(grid_ids), ~has_span)))


def moved(household: Household, old_grid_id: int, *, at: datetime | None = None) -> None:
    """The household left ``old_grid_id`` for the grid it now has."""
    at = at or utcnow()
    if not _close_open(household.id, at):  # no span yet (a household older than this history)
        db.session.add(HouseholdPlacement(household_id=household.id, grid_id=old_grid_id,
                                          since=household.created_at or at, until=at, backfilled=True,
                                          recorded_at=at))
    db.session.add(HouseholdPlacement(household_id=household.id, grid_id=household.grid_id, since=at,
                                      recorded_at=at))


def removed(household: Household, *, at: datetime | None = None) -> None:
    """The household left the roster (deleted); its past spans keep counting for past periods."""
    at = at or utcnow()
    if not _close_open(household.id, at):
        db.session.add(HouseholdPlacement(household_id=household.id, grid_id=household.grid_id,
                                          since=household.created_at or at, until=at, backfilled=True,
                                          recorded_at=at))
