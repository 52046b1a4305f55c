from __future__ import annotations

import enum
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area
from campaign.core.crypto import Encrypted
from campaign.core.text import mask_phone
from campaign.core.types import UTCDateTime, enum_column, utcnow
from campaign.extensions import db


class Level(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def label(self) -> str:
        return str({Level.HIGH: _l("High"), Level.MEDIUM: _l("Medium"), Level.LOW: _l("Low")}[self])


class AttemptKind(enum.StrEnum):
    FACE = "face"
    PHONE = "phone"

    @property
    def label(self) -> str:
        return str({AttemptKind.FACE: _l("Face to face"), AttemptKind.PHONE: _l("By phone")}[self])


class WarningOutcome(enum.StrEnum):
    DISSUADED = "dissuaded"
    LOST = "lost"
    UNREACHABLE = "unreachable"
    FALSE_ALARM = "false_alarm"

    @property
    def label(self) -> str:
        return str({WarningOutcome.DISSUADED: _l("Dissuaded"), WarningOutcome.LOST: _l("Already lost money"),
                    WarningOutcome.UNREACHABLE: _l("Unreachable"),
                    WarningOutcome.FALSE_ALARM: _l("False alarm")}[self])


DEFAULT_HOURS = {Level.HIGH: 2, Level.MEDIUM: 24, Level.LOW: 72}


class WarningPolicy(db.Model):
    """A county's deadlines for the first face-to-face contact, in hours, by level."""

    __tablename__ = "warning_policy"

    area_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("area.id"), primary_key=True)
    high_hours: so.Mapped[int] = so.mapped_column(default=2)
    medium_hours: so.Mapped[int] = so.mapped_column(default=24)
    low_hours: so.Mapped[int] = so.mapped_column(default=72)

    def hours(self, level: Level) -> int:
        return getattr(self, f"{level.value}_hours")


def new_reference() -> str:
    """A warning's reference when the centre gave none: YJ and ten random hex digits."""
    return "YJ" + secrets.token_hex(5).upper()


PHONE_CONTEXT = "warning.phone"


class FraudWarning(db.Model):
    """A warning (预警指令) from the anti-fraud centre about a resident being defrauded now."""

    __tablename__ = "fraud_warning"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # 预警编号: the centre's number, or one of ours; a re-imported list matches its warnings by it.
    reference: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True, default=new_reference)
    area_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("area.id"), index=True)
    # The household whose registered phone is the warning's (matching.py), when exactly one is.
    household_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("household.id"), index=True)
    # The grid every household with the warning's phone lies in: its workers are proposed for assignment.
    matched_grid_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("area.id"))
    # The school or unit the warned person belongs to, when they belong to a creation target.
    target_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("creation_target.id"), index=True)
    resident: so.Mapped[str] = so.mapped_column(sa.String(60))
    # Encrypted at rest, like a household's: shown in full on the warning's page only, and audited there.
    phone: so.Mapped[str | None] = so.mapped_column(Encrypted(120, context=PHONE_CONTEXT))
    level: so.Mapped[Level] = so.mapped_column(enum_column(Level, 10))
    received_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
    source: so.Mapped[str] = so.mapped_column(sa.String(60), default="")
    deadline_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    assigned_to_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"), index=True)
    assigned_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    first_face_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    closed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    outcome: so.Mapped[WarningOutcome | None] = so.mapped_column(enum_column(WarningOutcome, 20))
    loss_prevented: so.Mapped[Decimal] = so.mapped_column(sa.Numeric(14, 2), default=Decimal(0))
    # The phone's id for the closing, and a fingerprint of what it sent: a re-sent close is a duplicate.
    close_uuid: so.Mapped[str | None] = so.mapped_column(sa.String(36), unique=True, index=True)
    close_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    area: so.Mapped[Area] = so.relationship(foreign_keys=[area_id])
    # The backrefs let deleting a household or an area unlink its warnings instead of failing on the key.
    household = so.relationship("Household", backref=so.backref("fraud_warnings"))
    matched_grid: so.Mapped[Area | None] = so.relationship(foreign_keys=[matched_grid_id],
                                                           backref=so.backref("matched_warnings"))
    target = so.relationship("CreationTarget")
    assigned_to = so.relationship("User")
    attempts: so.Mapped[list[WarningAttempt]] = so.relationship(
        back_populates="warning", order_by="WarningAttempt.at", cascade="all, delete-orphan")

    AUDITED = ("area_id", "household_id", "target_id", "resident", "level", "received_at", "source", "assigned_to_id",
               "closed_at", "outcome", "loss_prevented")

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def overdue(self, now: datetime | None = None) -> bool:
        """No face-to-face contact by the deadline (or late contact)."""
        reference = self.first_face_at or now or utcnow()
        return reference > self.deadline_at

    @property
    def hours_to_face(self) -> float | None:
        if self.first_face_at is None:
            return None
        return (self.first_face_at - self.received_at) / timedelta(hours=1)


class WarningAttempt(db.Model):
    """One attempt to reach the resident: face to face or by phone, with its result."""

    __tablename__ = "warning_attempt"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    warning_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("fraud_warning.id", ondelete="CASCADE"), index=True)
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    kind: so.Mapped[AttemptKind] = so.mapped_column(enum_column(AttemptKind, 10))
    result: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    # Logged from the phone: its id for the attempt and a fingerprint of what it sent (idempotent re-sends),
    # the phone's own clock reading, and whether that clock could be trusted.
    uuid: so.Mapped[str | None] = so.mapped_column(sa.String(36), unique=True, index=True)
    content_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    phone_time: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    clock_offset_ms: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    time_trusted: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())

    warning: so.Mapped[FraudWarning] = so.relationship(back_populates="attempts")
    user = so.relationship("User")
