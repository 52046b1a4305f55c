from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from campaign.areas.models import Area
from campaign.core.types import UTCDateTime, utcnow
from campaign.extensions import db


class Round(db.Model):
    """A door-knocking round (敲门行动). Its target is every household of its area (the county)."""

    __tablename__ = "round"
    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="dates_in_order"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    area_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("area.id"), index=True)
    starts_on: so.Mapped[date]
    ends_on: so.Mapped[date]
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    area: so.Mapped[Area] = so.relationship()

    def is_open_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def __repr__(self) -> str:
        return f"<Round {self.name} {self.starts_on}..{self.ends_on}>"
