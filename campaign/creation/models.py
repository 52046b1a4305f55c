from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area
from campaign.core.types import UTCDateTime, enum_column, utcnow
from campaign.extensions import db


class TargetKind(enum.StrEnum):
    COMMUNITY = "community"
    SCHOOL = "school"
    ENTERPRISE = "enterprise"
    ORGANISATION = "organisation"

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])

    @property
    def tied_to_area(self) -> bool:
        """A community or village is its area; schools and units sit in one and have a headcount."""
        return self is TargetKind.COMMUNITY


KIND_LABELS = {
    TargetKind.COMMUNITY: _l("Village / community"),
    TargetKind.SCHOOL: _l("School"),
    TargetKind.ENTERPRISE: _l("Enterprise"),
    TargetKind.ORGANISATION: _l("Organisation"),
}

# The kinds as county offices write them in their lists.
KIND_CHINESE = {"村": TargetKind.COMMUNITY, "社区": TargetKind.COMMUNITY, "村(社区)": TargetKind.COMMUNITY,
                "村（社区）": TargetKind.COMMUNITY, "学校": TargetKind.SCHOOL, "校园": TargetKind.SCHOOL,
                "企业": TargetKind.ENTERPRISE, "单位": TargetKind.ORGANISATION, "机关": TargetKind.ORGANISATION,
                "机关事业单位": TargetKind.ORGANISATION}


class TargetStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    APPLIED = "applied"
    CERTIFIED = "certified"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    TargetStatus.NOT_STARTED: _l("Not started"),
    TargetStatus.IN_PROGRESS: _l("In progress"),
    TargetStatus.APPLIED: _l("Applied for acceptance"),
    TargetStatus.CERTIFIED: _l("Certified"),
    TargetStatus.REVOKED: _l("Revoked"),
}


class CreationTarget(db.Model):
    """A community, village, school or unit working for the fraud-free title (无诈创建对象)."""

    __tablename__ = "creation_target"
    __table_args__ = (
        sa.CheckConstraint("headcount >= 0", name="headcount_not_negative"),
        sa.Index("ix_creation_target_area_kind", "area_id", "kind"),
        sa.Index("ix_creation_target_area_kind_name", "area_id", "kind", "name"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[TargetKind] = so.mapped_column(enum_column(TargetKind, 16))
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    area_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("area.id"), index=True)
    contact_name: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    contact_phone: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    headcount: so.Mapped[int] = so.mapped_column(default=0)
    status: so.Mapped[TargetStatus] = so.mapped_column(enum_column(TargetStatus, 16), default=TargetStatus.NOT_STARTED)
    status_changed_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    status_note: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    review_flagged_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, index=True)
    review_reason: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    area: so.Mapped[Area] = so.relationship()
    certificates: so.Mapped[list[Certificate]] = so.relationship(
        back_populates="target", order_by="Certificate.issued_on.desc(), Certificate.id.desc()")

    AUDITED = ("kind", "name", "area_id", "contact_name", "contact_phone", "headcount")

    @property
    def certificate(self) -> Certificate | None:
        """The latest certificate, valid or not."""
        return self.certificates[0] if self.certificates else None

    @property
    def county_code(self) -> str:
        return self.area.code[:6]


class TargetStatusChange(db.Model):
    """A target's status from ``at`` on (创建状态变动). An empty status means not known: the rows
    made when this history began, for a target whose earlier course went unrecorded."""

    __tablename__ = "target_status_change"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    target_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("creation_target.id", ondelete="CASCADE"), index=True)
    status: so.Mapped[TargetStatus | None] = so.mapped_column(enum_column(TargetStatus, 16))
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class CreationCriteria(db.Model):
    """A county's acceptance criteria (创建标准) for one kind of target. A threshold left empty is
    not applied."""

    __tablename__ = "creation_criteria"

    area_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("area.id"), primary_key=True)
    kind: so.Mapped[TargetKind] = so.mapped_column(enum_column(TargetKind, 16), primary_key=True)
    window_months: so.Mapped[int] = so.mapped_column(default=12)
    three_no: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    min_coverage: so.Mapped[int | None]
    min_install_rate: so.Mapped[int | None]
    min_events: so.Mapped[int | None]
    min_face_rate: so.Mapped[int | None]

    FIELDS = ("window_months", "three_no", "min_coverage", "min_install_rate", "min_events", "min_face_rate")


class Certificate(db.Model):
    """A fraud-free title's certificate (荣誉证书), numbered per county and year."""

    __tablename__ = "certificate"
    __table_args__ = (sa.UniqueConstraint("county_code", "year", "seq"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    target_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("creation_target.id"), index=True)
    county_code: so.Mapped[str] = so.mapped_column(sa.String(12))
    year: so.Mapped[int]
    seq: so.Mapped[int]
    serial: so.Mapped[str] = so.mapped_column(sa.String(30), unique=True)
    target_name: so.Mapped[str] = so.mapped_column(sa.String(100))
    title: so.Mapped[str] = so.mapped_column(sa.String(40))
    issuer: so.Mapped[str] = so.mapped_column(sa.String(100))
    issued_on: so.Mapped[date]
    valid_until: so.Mapped[date]
    override_reason: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    revoked_on: so.Mapped[date | None]
    revoke_reason: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    issued_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    target: so.Mapped[CreationTarget] = so.relationship(back_populates="certificates")

    def valid_on(self, day: date) -> bool:
        return self.revoked_on is None and self.issued_on <= day <= self.valid_until


class CreationSettings(db.Model):
    """What a county office prints on its certificates."""

    __tablename__ = "creation_settings"

    area_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("area.id"), primary_key=True)
    issuer: so.Mapped[str] = so.mapped_column(sa.String(100))
