from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from campaign.areas.models import Area
from campaign.core.text import mask_name, mask_phone
from campaign.core.types import UTCDateTime, utcnow
from campaign.extensions import db


class Household(db.Model):
    """A household (住户) in a grid, identified there by its door label."""

    __tablename__ = "household"
    __table_args__ = (
        sa.UniqueConstraint("grid_id", "door_label", name="uq_household_grid_door"),
        sa.CheckConstraint("members >= 1", name="members_positive"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    grid_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("area.id"), index=True)
    door_label: so.Mapped[str] = so.mapped_column(sa.String(120))
    head_name: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    phone: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    members: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    elderly_alone: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    at_risk: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    lat: so.Mapped[float | None]
    lon: so.Mapped[float | None]
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    grid: so.Mapped[Area] = so.relationship()

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_name(self) -> str:
        return mask_name(self.head_name)

    def __repr__(self) -> str:
        return f"<Household {self.door_label}>"
