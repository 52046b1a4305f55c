"""Call-back samples (回访抽查): who drew which households of a round, who checks them, and what they heard."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from campaign.core.types import UTCDateTime, enum_column, utcnow
from campaign.extensions import db


class Reason(enum.StrEnum):
    """Why a household is in the sample."""

    RANDOM = "random"    # the share per village
    FOCUSED = "focused"  # weighted by the worker's risk score

    @property
    def label(self) -> str:
        return str(REASON_LABELS[self])


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


class Result(enum.StrEnum):
    CONFIRMED = "confirmed"            # visited, and what was said matches
    DETAILS_DIFFER = "details_differ"  # visited, but details differ
    NOT_VISITED = "not_visited"        # the household says nobody came: the visit has issues (有疑问)
    UNREACHABLE = "unreachable"        # after ATTEMPTS_FOR_UNREACHABLE attempts

    @property
    def label(self) -> str:
        return str(RESULT_LABELS[self])


class Method(enum.StrEnum):
    PHONE = "phone"
    REVISIT = "revisit"

    @property
    def label(self) -> str:
        return str(METHOD_LABELS[self])


REASON_LABELS = {Reason.RANDOM: _l("Random"), Reason.FOCUSED: _l("Focused on risk")}
STATUS_LABELS = {TaskStatus.OPEN: _l("To do"), TaskStatus.DONE: _l("Done")}
RESULT_LABELS = {
    Result.CONFIRMED: _l("Confirmed"),
    Result.DETAILS_DIFFER: _l("Visited, details differ"),
    Result.NOT_VISITED: _l("Not visited"),
    Result.UNREACHABLE: _l("Unreachable"),
}
METHOD_LABELS = {Method.PHONE: _l("Phone call"), Method.REVISIT: _l("Revisit")}


class CallbackSample(db.Model):
    """A call-back sample (回访抽查) of one round's reached households in an area, reproducible from its seed."""

    __tablename__ = "callback_sample"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    round_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("round.id"), index=True)
    area_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("area.id"), index=True)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    seed: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    random_percent: so.Mapped[float]  # per village, e.g. 5.0
    min_per_village: so.Mapped[int]
    focused_count: so.Mapped[int]
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    round = so.relationship("Round")
    area = so.relationship("Area")
    created_by = so.relationship("User")


class CallbackTask(db.Model):
    """One household to call back, the visit it checks, and who checks it."""

    __tablename__ = "callback_task"
    __table_args__ = (sa.UniqueConstraint("sample_id", "household_id"),
                      sa.Index("ix_callback_task_checker_status", "checker_id", "status"))

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    sample_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("callback_sample.id", ondelete="CASCADE"))
    household_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("household.id"))
    visit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("visit.id"), index=True)
    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("area.id"))
    worker_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"))  # who made the visit
    checker_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    reason: so.Mapped[Reason] = so.mapped_column(enum_column(Reason))
    status: so.Mapped[TaskStatus] = so.mapped_column(enum_column(TaskStatus), default=TaskStatus.OPEN)
    result: so.Mapped[Result | None] = so.mapped_column(enum_column(Result, 20))
    result_note: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    done_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    sample = so.relationship(CallbackSample)
    household = so.relationship("Household")
    visit = so.relationship("Visit")
    village = so.relationship("Area")
    worker = so.relationship("User", foreign_keys=[worker_id])
    checker = so.relationship("User", foreign_keys=[checker_id])
    attempts: so.Mapped[list[CallbackAttempt]] = so.relationship(
        back_populates="task", order_by="CallbackAttempt.at", cascade="all, delete-orphan", passive_deletes=True)


class CallbackAttempt(db.Model):
    """One call or revisit to reach the household, answered or not."""

    __tablename__ = "callback_attempt"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    task_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("callback_task.id", ondelete="CASCADE"), index=True)
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    method: so.Mapped[Method] = so.mapped_column(enum_column(Method, 10))
    note: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))

    task: so.Mapped[CallbackTask] = so.relationship(back_populates="attempts")
    by = so.relationship("User")
