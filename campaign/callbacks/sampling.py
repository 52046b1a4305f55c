"""Drawing a call-back sample (回访抽查): a random share of each village's reached households, and a
part focused on the workers whose visits look least like door-knocking (campaign/risk).

The draw is reproducible: the same seed over the same candidates gives the same sample. Candidates
are ordered by household id, villages by id, and one ``random.Random(seed)`` is consumed in that
order. The candidates come from one set-based query; the draw itself is plain Python; the tasks are
inserted in bulk. Never commits."""
from __future__ import annotations

import math
import random
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.accounts.models import User
from campaign.areas.models import Area
from campaign.areas.scope import within
from campaign.audit import services as audit
from campaign.core.errors import DomainError
from campaign.extensions import db
from campaign.households.models import Household
from campaign.review.states import ReviewState
from campaign.risk.services import worker_risks
from campaign.rounds.models import Round
from campaign.visits.models import Outcome, Visit

from .models import CallbackSample, CallbackTask, Reason, TaskStatus

# A worker's weight in the focused part is this floor plus their risk score (points above the area's
# medians): a worker with no score can still be drawn, one with 30 points is 31 times as likely.
FOCUS_FLOOR = 1.0
MAX_SEED = 2**53  # fits a BIGINT and a JSON number
MAX_FOCUSED = 10_000


@dataclass(frozen=True, order=True)
class Candidate:
    """A reached household of the round, the visit credited with reaching it, its village and worker."""

    household_id: int
    visit_id: int
    village_id: int
    worker_id: int


@dataclass(frozen=True)
class Pick:
    candidate: Candidate
    reason: Reason


def random_count(available: int, *, percent: float, minimum: int) -> int:
    """How many of a village's ``available`` households the random part takes: the share, rounded up,
    at least ``minimum``, never more than there are."""
    return min(available, max(minimum, math.ceil(available * percent / 100)))


def draw(candidates: Iterable[Candidate], *, seed: int, percent: float, minimum: int, focused: int,
         risk: dict[int, float]) -> list[Pick]:
    """The sample: per village (by id) a random part, then ``focused`` more households from the rest,
    weighted by their worker's risk (weighted sampling without replacement, Efraimidis–Spirakis)."""
    rng = random.Random(seed)
    by_village: dict[int, list[Candidate]] = defaultdict(list)
    for candidate in sorted(candidates):
        by_village[candidate.village_id].append(candidate)
    picks: list[Pick] = []
    chosen: set[int] = set()
    for village_id in sorted(by_village):
        homes = by_village[village_id]
        for candidate in rng.sample(homes, random_count(len(homes), percent=percent, minimum=minimum)):
            picks.append(Pick(candidate, Reason.RANDOM))
            chosen.add(candidate.household_id)
    rest = [c for village_id in sorted(by_village) for c in by_village[village_id] if c.household_id not in chosen]
    rest.sort()
    if focused > 0 and rest:
        keys = []
        for candidate in rest:
            weight = FOCUS_FLOOR + max(0.0, risk.get(candidate.worker_id) or 0.0)
            keys.append((math.log(1.0 - rng.random()) / weight, candidate))
        keys.sort(key=lambda pair: (-pair[0], pair[1]))
        picks.extend(Pick(candidate, Reason.FOCUSED) for _, candidate in keys[:focused])
    return picks


def candidates_query(round_id: int, area: Area) -> sa.Select:
    """(household, credited visit, village, worker) of every household in ``area`` reached in the round
    by a visit that counts: the first such visit, as the tallies credit it (review.services)."""
    grid = sa.orm.aliased(Area)
    first = (sa.select(Visit.household_id, sa.func.min(Visit.id).label("visit_id"))
             .where(Visit.round_id == round_id, Visit.outcome == Outcome.REACHED,
                    Visit.review_state != ReviewState.REJECTED)
             .group_by(Visit.household_id)).subquery()
    village = sa.func.coalesce(grid.parent_id, grid.id)
    return (sa.select(first.c.household_id, first.c.visit_id, village, Visit.worker_id)
            .join(Visit, Visit.id == first.c.visit_id)
            .join(Household, Household.id == first.c.household_id)
            .join(grid, grid.id == Household.grid_id)
            .where(within(grid.code, area.code), Household.erased_at.is_(None)))


def load_candidates(round_id: int, area: Area) -> list[Candidate]:
    return [Candidate(h, v, village, w) for h, v, village, w in db.session.execute(candidates_query(round_id, area))]


def risk_scores(round_id: int, area: Area) -> dict[int, float]:
    return {w.worker_id: w.score for w in worker_risks(round_id, area).ranked if w.score}


def new_seed() -> int:
    return secrets.randbelow(MAX_SEED)


def draw_sample(*, round_: Round, area: Area, percent: float, minimum: int, focused: int, user: User,
                seed: int | None = None) -> CallbackSample:
    """Draw and store a sample and its tasks (unassigned). The caller has checked that the round and
    the area are the user's."""
    if not 0 <= percent <= 100:
        raise DomainError(_("Give a share between 0 and 100 %."), field="percent")
    if minimum < 0 or not 0 <= focused <= MAX_FOCUSED:
        raise DomainError(_("Give a number from 0 to %(n)s.", n=MAX_FOCUSED), field="focused")
    seed = new_seed() if seed is None else seed
    if not 0 <= seed < MAX_SEED:
        raise DomainError(_("The seed is a whole number from 0 to %(n)s.", n=MAX_SEED - 1), field="seed")
    candidates = load_candidates(round_.id, area)
    if not candidates:
        raise DomainError(_("No household of this area was reached in this round: there is nothing to sample."))
    picks = draw(candidates, seed=seed, percent=percent, minimum=minimum, focused=focused,
                 risk=risk_scores(round_.id, area) if focused else {})
    sample = CallbackSample(round_id=round_.id, area_id=area.id, created_by_id=user.id, seed=seed,
                            random_percent=percent, min_per_village=minimum, focused_count=focused)
    db.session.add(sample)
    db.session.flush()
    db.session.execute(sa.insert(CallbackTask), [
        {"sample_id": sample.id, "household_id": p.candidate.household_id, "visit_id": p.candidate.visit_id,
         "village_id": p.candidate.village_id, "worker_id": p.candidate.worker_id, "reason": p.reason,
         "status": TaskStatus.OPEN, "result_note": ""} for p in picks])
    audit.record(action="create", subject="callback_sample", subject_id=sample.id, area_code=area.code,
                 changes={"round": [None, round_.name], "seed": [None, seed], "tasks": [None, len(picks)],
                          "percent": [None, percent], "minimum": [None, minimum], "focused": [None, focused]},
                 user=user)
    return sample
