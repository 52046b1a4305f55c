from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from campaign.core.types import CodeString, UTCDateTime, utcnow
from campaign.extensions import db


class AuditEntry(db.Model):
    """One change to a record (审计日志): who, when, what, and the values before and after."""

    __tablename__ = "audit_entry"
    __table_args__ = (sa.Index("ix_audit_entry_subject", "subject", "subject_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    action: so.Mapped[str] = so.mapped_column(sa.String(20))  # create | update | delete | or a transition
    subject: so.Mapped[str] = so.mapped_column(sa.String(40))  # incident | warning | event | …
    subject_id: so.Mapped[int]
    # The area the record belongs to, so that the log can be read per area.
    area_code: so.Mapped[str | None] = so.mapped_column(CodeString, index=True)
    changes: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    reason: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    # The hash chain (see chain.py): position, the previous entry's hash and this entry's own.
    seq: so.Mapped[int] = so.mapped_column(sa.BigInteger, unique=True)
    prev_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    hash: so.Mapped[str] = so.mapped_column(sa.String(64))

    user = so.relationship("User")
