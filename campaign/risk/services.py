"""Per-worker risk for an area and a round, in two aggregate statements over the visits (GROUP BY
worker), whatever the number of workers: one for the counts and the gaps (a LAG() window per worker),
one for the answer patterns. An area holding the round's whole area reads the round's visits alone;
a smaller one joins their households to keep to it. The score is the weighted sum of how far each share lies above the
area's median (``weights``)."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from campaign.accounts.models import User
from campaign.areas.models import Area
from campaign.areas.scope import within
from campaign.core.clock import zone
from campaign.extensions import db
from campaign.households.models import Household
from campaign.rounds.models import Round
from campaign.visits.models import GeoCheck, Outcome, Visit

from .signals import DAY_ENDS, DAY_STARTS, SAME_ANSWERS_MIN_REACHED, SHORT_GAP_SECONDS, SIGNALS
from .weights import MIN_VISITS, WEIGHTS


@dataclass
class WorkerRisk:
    """One worker's signals in the area and round; ``score`` is None below ``MIN_VISITS``."""

    worker_id: int
    display_name: str
    username: str
    visits: int
    values: dict[str, float | None]
    points: dict[str, float] = field(default_factory=dict)
    score: float | None = None

    @property
    def reasons(self) -> list[str]:
        """The signals that add to the score, largest first."""
        return [key for key, p in sorted(self.points.items(), key=lambda kv: -kv[1]) if p > 0]


@dataclass
class RiskList:
    medians: dict[str, float | None]
    ranked: list[WorkerRisk]     # highest score first
    too_few: list[WorkerRisk]    # fewer than MIN_VISITS visits: listed, not ranked
    min_visits: int = MIN_VISITS


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _epoch(column, dialect: str):
    """Seconds since 1970 as a number, for differences between visits."""
    if dialect == "postgresql":
        return sa.extract("epoch", column)
    return (sa.func.julianday(column) - 2440587.5) * 86400.0


def _local_hour(column, dialect: str, moment: datetime):
    """The county clock's hour of a UTC timestamp. PostgreSQL converts with the zone itself; SQLite
    adds the zone's offset at ``moment`` (exact for China, which keeps no summer time)."""
    if dialect == "postgresql":
        return sa.cast(sa.extract("hour", sa.func.timezone(zone().key, column)), sa.Integer)
    offset = int(moment.astimezone(zone()).utcoffset().total_seconds() // 60)
    return sa.cast(sa.func.strftime("%H", column, f"{offset:+d} minutes"), sa.Integer)


def _covers_round(round_id: int, area: Area) -> bool:
    """Whether ``area`` holds the round's whole area (a county office over its county), so that every
    visit of the round lies inside it and no household need be looked up."""
    code = db.session.scalar(sa.select(Area.code).join(Round, Round.area_id == Area.id).where(Round.id == round_id))
    return code is not None and code.startswith(area.code)


def _visits_in(round_id: int, area: Area, *columns) -> sa.Select:
    query = sa.select(*columns).where(Visit.round_id == round_id)
    if _covers_round(round_id, area):
        return query
    return (query.join(Household, Household.id == Visit.household_id).join(Area, Area.id == Household.grid_id)
            .where(within(Area.code, area.code)))


def _when(condition):
    return sa.func.sum(sa.case((condition, 1), else_=0))


def counts_query(round_id: int, area: Area, *, moment: datetime) -> sa.Select:
    """Per worker: visits, far, no fix, too fast, outside hours, short gaps and gaps, households reached."""
    dialect = _dialect()
    epoch = _epoch(Visit.visited_at, dialect)
    previous = sa.func.lag(epoch).over(partition_by=Visit.worker_id, order_by=(Visit.visited_at, Visit.id))
    hour = _local_hour(Visit.visited_at, dialect, moment)
    inner = _visits_in(round_id, area, Visit.worker_id, Visit.geo, Visit.too_fast, Visit.outcome,
                       hour.label("hour"), (epoch - previous).label("gap")).subquery()
    return (sa.select(inner.c.worker_id, User.display_name, User.username,
                      sa.func.count().label("visits"),
                      _when(inner.c.geo == GeoCheck.RED.value).label("far"),
                      _when(inner.c.geo == GeoCheck.GREY.value).label("no_fix"),
                      _when(inner.c.too_fast == sa.true()).label("too_fast"),
                      _when(sa.or_(inner.c.hour < DAY_STARTS, inner.c.hour >= DAY_ENDS)).label("outside_hours"),
                      _when(inner.c.gap < SHORT_GAP_SECONDS).label("short_gaps"),
                      sa.func.count(inner.c.gap).label("gaps"),
                      _when(inner.c.outcome == Outcome.REACHED.value).label("reached"))
            .join(User, User.id == inner.c.worker_id)
            .group_by(inner.c.worker_id, User.display_name, User.username))


def patterns_query(round_id: int, area: Area) -> sa.Select:
    """Per worker: how many households reached share the worker's most common (people briefed, app
    installs, note)."""
    answers = (_visits_in(round_id, area, Visit.worker_id, sa.func.count().label("n"))
               .where(Visit.outcome == Outcome.REACHED)
               .group_by(Visit.worker_id, Visit.people_briefed, Visit.app_installs, Visit.note)).subquery()
    return sa.select(answers.c.worker_id, sa.func.max(answers.c.n)).group_by(answers.c.worker_id)


def callback_failures(round_id: int, area: Area) -> dict[int, float]:
    """Each worker's share of failed call-backs (回访抽查) in the area and round. There are no
    call-backs yet, so no worker has one; see ``signals``."""
    return {}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def worker_risks(round_id: int, area: Area, *, moment: datetime | None = None) -> RiskList:
    """Every worker with visits in the area and round, with their signals; those with at least
    ``MIN_VISITS`` ranked by score, the area's medians taken over them."""
    moment = moment or datetime.now(zone())
    patterns = dict(db.session.execute(patterns_query(round_id, area)).all())
    callbacks = callback_failures(round_id, area)
    workers = []
    for row in db.session.execute(counts_query(round_id, area, moment=moment)):
        reached = int(row.reached or 0)
        values = {
            "far": _share(row.far, row.visits),
            "no_fix": _share(row.no_fix, row.visits),
            "too_fast": _share(row.too_fast, row.visits),
            "outside_hours": _share(row.outside_hours, row.visits),
            "same_answers": (_share(patterns.get(row.worker_id, 0), reached)
                             if reached >= SAME_ANSWERS_MIN_REACHED else None),
            "short_gaps": _share(row.short_gaps, row.gaps),
            "callback_failures": callbacks.get(row.worker_id, 0.0),
        }
        workers.append(WorkerRisk(row.worker_id, row.display_name, row.username, int(row.visits), values))
    ranked = [w for w in workers if w.visits >= MIN_VISITS]
    medians = {s.key: _median([w.values[s.key] for w in ranked]) for s in SIGNALS}
    for worker in ranked:
        worker.points = {key: WEIGHTS[key] * max(0.0, (value - (medians[key] or 0.0)) * 100)
                         for key, value in worker.values.items() if value is not None}
        worker.score = round(sum(worker.points.values()), 1)
    ranked.sort(key=lambda w: (-w.score, -w.visits, w.username))
    too_few = sorted((w for w in workers if w.visits < MIN_VISITS), key=lambda w: (-w.visits, w.username))
    return RiskList(medians=medians, ranked=ranked, too_few=too_few)
