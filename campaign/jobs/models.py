from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from campaign.core.types import UTCDateTime, enum_column, utcnow
from campaign.extensions import db


class JobState(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])


STATE_LABELS = {JobState.RUNNING: _l("Working"), JobState.DONE: _l("Ready"), JobState.FAILED: _l("Failed")}


class Job(db.Model):
    """One piece of background work: what it is, whose it is, how it ended and what it made."""

    __tablename__ = "job"

    id: so.Mapped[str] = so.mapped_column(sa.String(32), primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(32))
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    state: so.Mapped[JobState] = so.mapped_column(enum_column(JobState), default=JobState.RUNNING)
    step: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    done: so.Mapped[int] = so.mapped_column(default=0)
    total: so.Mapped[int] = so.mapped_column(default=0)
    message: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    outcome: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    file_name: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    file_type: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    file_data: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary, deferred=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    finished_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    @property
    def finished(self) -> bool:
        return self.state is not JobState.RUNNING
