from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area
from campaign.core.types import UTCDateTime, enum_column, utcnow
from campaign.extensions import db


class EventKind(enum.StrEnum):
    COURTYARD = "courtyard"
    SCHOOL = "school"
    ENTERPRISE = "enterprise"
    COMMUNITY = "community"
    MARKET = "market"
    PERFORMANCE = "performance"
    ONLINE = "online"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(EVENT_KIND_LABELS[self])


EVENT_KIND_LABELS = {
    EventKind.COURTYARD: _l("Courtyard meeting"),
    EventKind.SCHOOL: _l("School lesson"),
    EventKind.ENTERPRISE: _l("Enterprise training"),
    EventKind.COMMUNITY: _l("Community talk"),
    EventKind.MARKET: _l("Market stall"),
    EventKind.PERFORMANCE: _l("Performance"),
    EventKind.ONLINE: _l("Online push"),
    EventKind.OTHER: _l("Other"),
}

MAX_PHOTOS = 6


class PublicityEvent(db.Model):
    """A publicity event (宣传活动) held in an area, perhaps for one school or unit."""

    __tablename__ = "publicity_event"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[EventKind] = so.mapped_column(enum_column(EventKind, 16))
    held_on: so.Mapped[date] = so.mapped_column(index=True)
    area_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("area.id"), index=True)
    target: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    # The registered school or unit the event was held for, which counts it towards its title.
    target_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("creation_target.id"), index=True)
    attendees: so.Mapped[int] = so.mapped_column(default=0)
    app_installs: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    materials: so.Mapped[int] = so.mapped_column(default=0)
    organiser: so.Mapped[str] = so.mapped_column(sa.String(60), default="")
    note: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    area: so.Mapped[Area] = so.relationship()
    creation_target = so.relationship("CreationTarget")
    photos: so.Mapped[list[EventPhoto]] = so.relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventPhoto.id")

    AUDITED = ("kind", "held_on", "area_id", "target", "target_id", "attendees", "app_installs", "materials",
               "organiser", "note")


class EventPhoto(db.Model):
    """A photo of an event, re-encoded on upload: no location or other metadata survives."""

    __tablename__ = "event_photo"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    event_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("publicity_event.id", ondelete="CASCADE"), index=True)
    content: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    width: so.Mapped[int]
    height: so.Mapped[int]
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    event: so.Mapped[PublicityEvent] = so.relationship(back_populates="photos")
