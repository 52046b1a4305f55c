"""Per-worker risk for an area and a round, in two aggregate statements over the risk tallies
(``tallies``: kept per round, worker and grid as visits arrive), never a scan of the visits: one for
the counts and the gaps, one for the answer patterns. An area holding the round's whole area reads
the round's rows alone; a smaller one keeps to its grids (a worker's gap counts in the grid of the
later visit). The score is the weighted sum of how far each share lies above the area's median
(``weights``)."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from campaign.accounts.models import User
from campaign.areas.models import Area
from campaign.areas.scope import within
from campaign.callbacks.models import CallbackTask, Result
from campaign.core.clock import zone
from campaign.extensions import db
from campaign.households.models import Household
from campaign.rounds.models import Round
from campaign.visits.models import Visit, WorkerAnswerTally, WorkerRiskTally

from .signals import SAME_ANSWERS_MIN_REACHED, SIGNALS
from .tallies import COUNTS
from .weights import MIN_VISITS, WEIGHTS

# Call-back results where the household answered, and those of them that count against the visit.
ANSWERED = (Result.CONFIRMED, Result.DETAILS_DIFFER, Result.NOT_VISITED)
FAILED = (Result.DETAILS_DIFFER, Result.NOT_VISITED)


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


def _covers_round(round_id: int, area: Area) -> bool:
    """Whether ``area`` holds the round's whole area (a county office over its county), so that every
    tally row of the round lies inside it and no grid need be looked up."""
    code = db.session.scalar(sa.select(Area.code).join(Round, Round.area_id == Area.id).where(Round.id == round_id))
    return code is not None and code.startswith(area.code)


def _rows_in(model, round_id: int, area: Area, *columns) -> sa.Select:
    query = sa.select(*columns).where(model.round_id == round_id)
    if _covers_round(round_id, area):
        return query
    return query.join(Area, Area.id == model.grid_id).where(within(Area.code, area.code))


def counts_query(round_id: int, area: Area, *, moment: datetime | None = None) -> sa.Select:
    """Per worker: visits, far, no fix, too fast, outside hours, short gaps and gaps, visits that
    reached a household; sums over the worker's tally rows of the area's grids. (``moment`` is no
    longer needed: the tallies hold each visit's county hour as it arrived.)"""
    t = WorkerRiskTally
    inner = _rows_in(t, round_id, area, t.worker_id, *[sa.func.sum(getattr(t, name)).label(name) for name in COUNTS]
                     ).group_by(t.worker_id).subquery()
    return (sa.select(inner, User.display_name, User.username)
            .join(User, User.id == inner.c.worker_id))


def patterns_query(round_id: int, area: Area) -> sa.Select:
    """Per worker: how many households reached share the worker's most common (people briefed, app
    installs, note): the largest of the worker's answer tallies, summed over the area's grids."""
    t = WorkerAnswerTally
    answers = (_rows_in(t, round_id, area, t.worker_id, sa.func.sum(t.visits).label("n"))
               .group_by(t.worker_id, t.answers)).subquery()
    return sa.select(answers.c.worker_id, sa.func.max(answers.c.n)).group_by(answers.c.worker_id)


def callback_failures(round_id: int, area: Area) -> dict[int, float]:
    """Each worker's share of failed call-backs (回访抽查) in the area and round: of the call-back tasks
    on the worker's visits whose household answered (confirmed, details differ or not visited), those
    whose household said nobody came or that the details differ. One aggregate statement over the
    call-back tasks (a small table) joined to their visits, kept to the area's grids; a worker
    without an answered call-back has none (and reads 0)."""
    t = CallbackTask
    failed = sa.func.sum(sa.case((t.result.in_(FAILED), 1), else_=0))
    query = (sa.select(Visit.worker_id, failed, sa.func.count())
             .select_from(t).join(Visit, Visit.id == t.visit_id)
             .where(Visit.round_id == round_id, t.result.in_(ANSWERED))
             .group_by(Visit.worker_id))
    if not _covers_round(round_id, area):
        query = (query.join(Household, Household.id == Visit.household_id)
                 .join(Area, Area.id == Household.grid_id).where(within(Area.code, area.code)))
    return {worker_id: int(bad or 0) / n for worker_id, bad, n in db.session.execute(query) if n}


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
