"""The county office's document register: what its 通报 print in the masthead (发文机关标志) and the
document numbers (发文字号) it has given, one per report (area and period)."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from campaign.areas.models import Area
from campaign.core.types import UTCDateTime, utcnow
from campaign.extensions import db


class DocumentSettings(db.Model):
    """An office's issuing name, its document prefix (机关代字, e.g. 宁反诈办) and its next number."""

    __tablename__ = "document_settings"

    area_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("area.id", ondelete="CASCADE"), primary_key=True)
    office: so.Mapped[str] = so.mapped_column(sa.String(100))
    prefix: so.Mapped[str] = so.mapped_column(sa.String(20))
    year: so.Mapped[int]  # the year next_number counts in; a new year starts again at 1
    next_number: so.Mapped[int] = so.mapped_column(default=1)

    area: so.Mapped[Area] = so.relationship()


class DocumentNumber(db.Model):
    """A document number given to the report of an area over a period; made again, the report keeps it."""

    __tablename__ = "document_number"
    __table_args__ = (
        sa.UniqueConstraint("area_id", "starts_on", "ends_on"),
        sa.UniqueConstraint("office_id", "prefix", "year", "number"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    office_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("document_settings.area_id", ondelete="CASCADE"),
                                                 index=True)
    area_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("area.id", ondelete="CASCADE"))
    starts_on: so.Mapped[date]
    ends_on: so.Mapped[date]
    office: so.Mapped[str] = so.mapped_column(sa.String(100))  # as printed, whatever the settings say later
    prefix: so.Mapped[str] = so.mapped_column(sa.String(20))
    year: so.Mapped[int]
    number: so.Mapped[int]
    issued_on: so.Mapped[date]
    issued_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    area: so.Mapped[Area] = so.relationship()

    @property
    def label(self) -> str:
        """The number as printed: 宁反诈办〔2026〕12号 (hexagonal brackets, no leading zeros, no 第)."""
        return f"{self.prefix}〔{self.year}〕{self.number}号"
