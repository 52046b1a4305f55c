from __future__ import annotations

import enum
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_property

from campaign.core.types import UTCDateTime, enum_column, utcnow
from campaign.extensions import db
from campaign.review.states import ReviewState


class Outcome(enum.StrEnum):
    REACHED = "reached"
    NOT_HOME = "not_home"
    REFUSED = "refused"
    VACANT = "vacant"

    @property
    def label(self) -> str:
        return str(OUTCOME_LABELS[self])


OUTCOME_LABELS = {
    Outcome.REACHED: _l("Reached and briefed"),
    Outcome.NOT_HOME: _l("Not home"),
    Outcome.REFUSED: _l("Refused"),
    Outcome.VACANT: _l("Vacant or moved away"),
}


class GeoCheck(enum.StrEnum):
    """How far the phone's fix was from the household: the first signal of a visit not made there."""

    GREEN = "green"      # within 100 m
    AMBER = "amber"      # within 300 m
    RED = "red"          # beyond 300 m
    COARSE = "coarse"    # a fix too coarse (over 100 m) to say whether it was within 300 m
    GREY = "grey"        # no fix
    UNKNOWN = "unknown"  # a fix, but the household has no location to compare with

    @property
    def label(self) -> str:
        return str(GEO_LABELS[self])


GEO_LABELS = {
    GeoCheck.GREEN: _l("within 100 m"),
    GeoCheck.AMBER: _l("within 300 m"),
    GeoCheck.RED: _l("more than 300 m away"),
    GeoCheck.COARSE: _l("coarse GPS fix"),
    GeoCheck.GREY: _l("no GPS fix"),
    GeoCheck.UNKNOWN: _l("household has no location"),
}

FLAGGED_GEO = (GeoCheck.RED, GeoCheck.GREY)

RISK_FLAGS = ("elderly_alone", "suspicious_calls", "large_transfer")
RISK_LABELS = {
    "elderly_alone": _l("Elderly person living alone"),
    "suspicious_calls": _l("Received suspicious calls"),
    "large_transfer": _l("Recently asked to make a large transfer"),
}


class Visit(db.Model):
    """One door-knock visit (入户走访) to a household in a round, as the worker's phone logged it."""

    __tablename__ = "visit"
    __table_args__ = (
        sa.Index("ix_visit_round_household", "round_id", "household_id"),
        sa.Index("ix_visit_worker_time", "worker_id", "visited_at"),
        sa.Index("ix_visit_household", "household_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    uuid: so.Mapped[str] = so.mapped_column(sa.String(36), unique=True)
    round_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("round.id"))
    household_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("household.id"))
    worker_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"))
    outcome: so.Mapped[Outcome] = so.mapped_column(enum_column(Outcome))
    people_briefed: so.Mapped[int] = so.mapped_column(default=0)
    app_installs: so.Mapped[int] = so.mapped_column(default=0)
    materials: so.Mapped[int] = so.mapped_column(default=0)
    risk_elderly_alone: so.Mapped[bool] = so.mapped_column(default=False)
    risk_suspicious_calls: so.Mapped[bool] = so.mapped_column(default=False)
    risk_large_transfer: so.Mapped[bool] = so.mapped_column(default=False)
    note: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    visited_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    received_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    lat: so.Mapped[float | None]
    lon: so.Mapped[float | None]
    accuracy_m: so.Mapped[float | None]
    distance_m: so.Mapped[float | None]
    geo: so.Mapped[GeoCheck] = so.mapped_column(enum_column(GeoCheck))
    too_fast: so.Mapped[bool] = so.mapped_column(default=False)
    # The phone's own clock when it saved the visit, and the server's clock minus the phone's at its last
    # contact; visited_at is the corrected time. An untrusted time is one the phone could not vouch for,
    # or one in the future, which is then replaced by the time the server received it.
    phone_time: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    clock_offset_ms: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    time_trusted: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    # Review (审核, campaign/review): a rejected visit counts in no household's state or figure.
    review_state: so.Mapped[ReviewState] = so.mapped_column(
        enum_column(ReviewState), default=ReviewState.RECEIVED, server_default=ReviewState.RECEIVED.value)
    reviewed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    reviewed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    review_note: so.Mapped[str] = so.mapped_column(sa.String(500), default="", server_default="")

    household = so.relationship("Household")
    worker = so.relationship("User", foreign_keys=[worker_id])
    reviewed_by = so.relationship("User", foreign_keys=[reviewed_by_id])
    round = so.relationship("Round")

    @hybrid_property
    def flagged(self) -> bool:
        """An honesty signal: far from the door, no fix, too fast, or a time the phone could not vouch for.
        A coarse fix is shown but not flagged: the phone did its best."""
        return self.too_fast or self.geo in FLAGGED_GEO or not self.time_trusted

    @flagged.inplace.expression
    @classmethod
    def _flagged_expression(cls):
        return sa.or_(cls.too_fast, cls.geo.in_(FLAGGED_GEO), sa.not_(cls.time_trusted))

    @property
    def clock_offset(self) -> timedelta | None:
        """How far the phone's clock was behind the server's (negative: ahead), if the phone knew."""
        return None if self.clock_offset_ms is None else timedelta(milliseconds=self.clock_offset_ms)

    @property
    def risks(self) -> list[str]:
        return [flag for flag in RISK_FLAGS if getattr(self, f"risk_{flag}")]

    @property
    def risk_labels(self) -> list[str]:
        return [str(RISK_LABELS[flag]) for flag in self.risks]


class RoundHousehold(db.Model):
    """Where a household stands in a round: reached stays reached, otherwise the latest visit counts."""

    __tablename__ = "round_household"

    round_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("round.id"), primary_key=True)
    # indexed on its own: deleting a household checks this table by household (the key leads with the round)
    household_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("household.id"), primary_key=True, index=True)
    grid_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("area.id"))
    status: so.Mapped[Outcome] = so.mapped_column(enum_column(Outcome))
    last_visit_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    visits: so.Mapped[int] = so.mapped_column(default=0)
    # The most people briefed and apps installed in any one visit, so revisits never count twice.
    people_briefed: so.Mapped[int] = so.mapped_column(default=0)
    app_installs: so.Mapped[int] = so.mapped_column(default=0)


TALLY_COLUMNS = ("reached", "not_home", "refused", "vacant", "visits", "flagged", "far", "no_fix", "too_fast",
                 "coarse_fix", "untrusted_time", "people_briefed", "app_installs")


class GridTally(db.Model):
    """A grid's figures in a round, kept current as visits arrive, so that coverage of any area
    costs a sum over its grids, never a scan of visits."""

    __tablename__ = "grid_tally"

    round_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("round.id"), primary_key=True)
    grid_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("area.id"), primary_key=True)
    reached: so.Mapped[int] = so.mapped_column(default=0)
    not_home: so.Mapped[int] = so.mapped_column(default=0)
    refused: so.Mapped[int] = so.mapped_column(default=0)
    vacant: so.Mapped[int] = so.mapped_column(default=0)
    visits: so.Mapped[int] = so.mapped_column(default=0)
    flagged: so.Mapped[int] = so.mapped_column(default=0)
    far: so.Mapped[int] = so.mapped_column(default=0)
    no_fix: so.Mapped[int] = so.mapped_column(default=0)
    too_fast: so.Mapped[int] = so.mapped_column(default=0)
    coarse_fix: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    untrusted_time: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    people_briefed: so.Mapped[int] = so.mapped_column(default=0)
    app_installs: so.Mapped[int] = so.mapped_column(default=0)


class WorkerTally(db.Model):
    """A worker's visits in a round, for the ranking of workers."""

    __tablename__ = "worker_tally"

    round_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("round.id"), primary_key=True)
    worker_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"), primary_key=True)
    visits: so.Mapped[int] = so.mapped_column(default=0)
    reached: so.Mapped[int] = so.mapped_column(default=0)
    flagged: so.Mapped[int] = so.mapped_column(default=0)


class WorkerRiskTally(db.Model):
    """A worker's counts behind the risk signals (campaign/risk) in a round, per grid of the
    households visited, kept current as visits arrive so that the risk list of any area is a sum
    over its grids, never a scan of visits. They count every visit received, a rejected one too:
    a visit struck out in review is still something the worker logged (see ``campaign.risk.tallies``)."""

    __tablename__ = "worker_risk_tally"

    round_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("round.id"), primary_key=True)
    worker_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"), primary_key=True)
    grid_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("area.id"), primary_key=True)
    visits: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    reached: so.Mapped[int] = so.mapped_column(default=0, server_default="0")  # visits that reached a household
    far: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    no_fix: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    too_fast: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    outside_hours: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    gaps: so.Mapped[int] = so.mapped_column(default=0, server_default="0")  # visits with an earlier one in the round
    short_gaps: so.Mapped[int] = so.mapped_column(default=0, server_default="0")


class WorkerAnswerTally(db.Model):
    """How many of a worker's visits that reached a household in a round (per grid) gave one set of
    answers (people briefed, app installs, note), by a 64-bit digest of the set. The worker's most
    common set is the largest sum over grids: a MAX over a few rows per worker."""

    __tablename__ = "worker_answer_tally"

    round_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("round.id"), primary_key=True)
    worker_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"), primary_key=True)
    answers: so.Mapped[int] = so.mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    grid_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("area.id"), primary_key=True)
    visits: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
