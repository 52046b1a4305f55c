from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from campaign.areas.models import Area
from campaign.core.crypto import Encrypted, cipher
from campaign.core.text import mask_name, mask_phone
from campaign.core.types import UTCDateTime, utcnow
from campaign.extensions import db

PHONE_CONTEXT = "household.phone"


def phone_digits(phone: str | None) -> str:
    """0915-6821234 and 09156821234 are one number."""
    digits = (phone or "").replace("-", "")
    if digits.isascii() and digits.isdigit():  # the usual, already normalised case
        return digits
    return "".join(ch for ch in digits if ch.isascii() and ch.isdigit())


def phone_index(phone: str | None) -> str | None:
    """The keyed blind index of a whole phone number: how a phone is searched without decrypting."""
    digits = phone_digits(phone)
    return cipher().index(digits, PHONE_CONTEXT) if digits else None


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
    # Names stay in clear so that officials can search them (README, "Personal data"); phones are
    # encrypted, and found through their blind index.
    head_name: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    phone: so.Mapped[str | None] = so.mapped_column(Encrypted(120, context=PHONE_CONTEXT))
    phone_index: so.Mapped[str | None] = so.mapped_column(sa.String(64), index=True)
    members: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    elderly_alone: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    at_risk: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    lat: so.Mapped[float | None]
    lon: so.Mapped[float | None]
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # When its personal data was erased at the household's request (PIPL); the row and its figures stay.
    erased_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    grid: so.Mapped[Area] = so.relationship()

    @so.validates("phone")
    def _keep_index(self, _key, value: str | None) -> str | None:
        self.phone_index = phone_index(value)
        return value

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_name(self) -> str:
        return mask_name(self.head_name)

    def __repr__(self) -> str:
        return f"<Household {self.door_label}>"
