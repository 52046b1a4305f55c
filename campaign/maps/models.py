from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from campaign.core.types import UTCDateTime, utcnow
from campaign.extensions import db


class AreaBoundary(db.Model):
    """An area's boundary (a GeoJSON Polygon or MultiPolygon in WGS-84), imported by division code."""

    __tablename__ = "area_boundary"

    area_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("area.id", ondelete="CASCADE"), primary_key=True)
    geometry: so.Mapped[str] = so.mapped_column(sa.Text)
    imported_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
