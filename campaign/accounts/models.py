from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from werkzeug.security import check_password_hash

from campaign.areas.models import Area, AreaLevel
from campaign.core.crypto import Encrypted
from campaign.core.types import UTCDateTime, enum_column, utcnow
from campaign.extensions import db

from .passwords import hash_password


class Role(enum.StrEnum):
    WORKER = "worker"
    OFFICIAL = "official"
    COUNTY = "county"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.WORKER: _l("Grid worker"),
    Role.OFFICIAL: _l("Township official"),
    Role.COUNTY: _l("County office"),
}

# The level of area each role is attached to.
ROLE_AREA_LEVELS = {
    Role.OFFICIAL: (AreaLevel.TOWNSHIP,),
    Role.COUNTY: (AreaLevel.COUNTY, AreaLevel.CITY),
}

user_grid = sa.Table(
    "user_grid",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("area_id", sa.ForeignKey("area.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(UserMixin, db.Model):
    """A person who logs in: grid worker (网格员), township official or county office (县创建办)."""

    __tablename__ = "user"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    display_name: so.Mapped[str] = so.mapped_column(sa.String(64))
    phone: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    role: so.Mapped[Role] = so.mapped_column(enum_column(Role))
    # The township of an official, the county (or city) of the county office; workers use grids.
    area_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("area.id"), index=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(256))
    active: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_login_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # Part of every session and remember cookie; bumping it ends all of this user's sessions.
    session_version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    must_change_password: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    # Second factor (TOTP). The secret is kept from enrolment; it counts only once confirmed.
    # Sealed like personal data: a copy of the database alone does not give away second factors.
    totp_secret: so.Mapped[str | None] = so.mapped_column(Encrypted(160, context="user.totp_secret"))
    totp_enabled: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    # The last time step whose code was accepted, so that a code cannot be used twice.
    totp_last_step: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)

    area: so.Mapped[Area | None] = so.relationship()
    grids: so.Mapped[list[Area]] = so.relationship(secondary=user_grid, order_by=Area.code)

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """The session and remember cookies name the user and the session version."""
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        """Every session and remember cookie issued so far stops working."""
        self.session_version = (self.session_version or 1) + 1

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def scope_codes(self) -> list[str]:
        """Division-code prefixes of everything this user may see."""
        if self.role is Role.WORKER:
            return [grid.code for grid in self.grids]
        return [self.area.code] if self.area else []

    def scope_roots(self) -> list[Area]:
        if self.role is Role.WORKER:
            return list(self.grids)
        return [self.area] if self.area else []

    def can_see(self, area: Area) -> bool:
        return any(area.code.startswith(prefix) for prefix in self.scope_codes())

    @property
    def is_county(self) -> bool:
        return self.role is Role.COUNTY

    @property
    def is_official(self) -> bool:
        return self.role is Role.OFFICIAL

    @property
    def is_worker(self) -> bool:
        return self.role is Role.WORKER

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


# User names are unique regardless of case: "Admin" cannot sit beside "admin".
sa.Index("uq_user_username_lower", sa.func.lower(User.username), unique=True)


class LoginAttempt(db.Model):
    """One log-in attempt, kept to throttle guessing."""

    __tablename__ = "login_attempt"
    __table_args__ = (sa.Index("ix_login_attempt_username_at", "username", "at"),
                      sa.Index("ix_login_attempt_ip_at", "ip", "at"))

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64))
    ip: so.Mapped[str] = so.mapped_column(sa.String(45))
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    success: so.Mapped[bool]


class SecurityPolicy(db.Model):
    """Security settings a county office chooses for its own county (or city)."""

    __tablename__ = "security_policy"

    area_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("area.id", ondelete="CASCADE"), primary_key=True)
    # County-office accounts must log in with a second factor (TOTP).
    totp_required: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
