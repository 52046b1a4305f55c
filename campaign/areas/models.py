from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from campaign.core.types import CodeString, UTCDateTime, enum_column, utcnow
from campaign.extensions import db


class AreaLevel(enum.StrEnum):
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"
    GRID = "grid"

    @property
    def label(self) -> str:
        return str(LEVEL_LABELS[self])

    @property
    def child(self) -> AreaLevel | None:
        order = list(AreaLevel)
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None

    @classmethod
    def from_code(cls, code: str) -> AreaLevel | None:
        """The level implied by a statistical division code's length (4/6/9/12 digits, grids longer)."""
        return {4: cls.CITY, 6: cls.COUNTY, 9: cls.TOWNSHIP, 12: cls.VILLAGE}.get(
            len(code), cls.GRID if len(code) > 12 else None
        )


LEVEL_LABELS = {
    AreaLevel.CITY: _l("City"),
    AreaLevel.COUNTY: _l("County"),
    AreaLevel.TOWNSHIP: _l("Township"),
    AreaLevel.VILLAGE: _l("Village / community"),
    AreaLevel.GRID: _l("Grid"),
}

# Digits each level adds to its parent's code.
CODE_SUFFIX_LENGTH = {AreaLevel.COUNTY: 2, AreaLevel.TOWNSHIP: 3, AreaLevel.VILLAGE: 3, AreaLevel.GRID: 3}


def parent_code(code: str) -> str | None:
    level = AreaLevel.from_code(code)
    if level in (None, AreaLevel.CITY):
        return None
    return code[: len(code) - CODE_SUFFIX_LENGTH[level]]


class Area(db.Model):
    """An administrative area (行政区划), identified by its statistical division code."""

    __tablename__ = "area"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(CodeString, unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    level: so.Mapped[AreaLevel] = so.mapped_column(enum_column(AreaLevel))
    parent_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("area.id"), index=True)
    lat: so.Mapped[float | None]
    lon: so.Mapped[float | None]
    # Households registered in this area and below it; kept by the household services.
    household_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    parent: so.Mapped[Area | None] = so.relationship(remote_side=[id], back_populates="children")
    children: so.WriteOnlyMapped[Area] = so.relationship(back_populates="parent", passive_deletes=True)

    def ancestors(self) -> list[Area]:
        """From the root down to the parent."""
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def contains(self, other: Area) -> bool:
        return other.code.startswith(self.code)

    def __repr__(self) -> str:
        return f"<Area {self.code} {self.name}>"
