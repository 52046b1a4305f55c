"""Rebuilding a round's household states and tallies from its visits alone.

The incremental path in ``services`` keeps these current; this is the independent recomputation
used after bulk loads, by ``flask rebuild-tallies``, and by the tests that prove the two agree.

A rejected visit (已作废, campaign/review) is left out of household states, people briefed, installs
and the worker who reached a household; it still counts as a visit record, with its signals, and in
the risk tallies (campaign/risk/tallies.py), which count every visit received.
"""
from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from campaign.core.upsert import is_postgres
from campaign.extensions import db
from campaign.households.models import Household
from campaign.review.states import ReviewState
from campaign.risk import tallies as risk_tallies
from campaign.rounds.models import Round

from .models import TALLY_COLUMNS, GeoCheck, GridTally, Outcome, RoundHousehold, Visit, WorkerTally

FLAGGED = Visit.flagged
COUNTED = Visit.review_state != ReviewState.REJECTED  # a visit that counts in the household's state


def _int(expr):
    return sa.func.sum(sa.case((expr, 1), else_=0))


def rebuild_round(round_id: int) -> None:
    if is_postgres():  # reviews hold the round's row shared while they change its tallies (review.services)
        db.session.execute(sa.select(Round.id).where(Round.id == round_id).with_for_update())
    for model in (RoundHousehold, GridTally, WorkerTally):
        db.session.execute(sa.delete(model).where(model.round_id == round_id))
    _rebuild_households(round_id)
    _rebuild_grids(round_id)
    _rebuild_workers(round_id)
    risk_tallies.rebuild_round(round_id)
    db.session.expire_all()


def _rebuild_households(round_id: int) -> None:
    """One pass over the round's visits, per household: the latest outcome, whether any visit reached
    it, and the most people briefed and apps installed in one visit."""
    everything = {"partition_by": Visit.household_id}
    per_visit = sa.select(
        Visit.household_id, Visit.outcome,
        sa.func.row_number().over(partition_by=Visit.household_id,
                                  order_by=(Visit.visited_at.desc(), Visit.id.desc())).label("latest"),
        sa.func.max(sa.case((Visit.outcome == Outcome.REACHED, 1), else_=0)).over(**everything).label("ever_reached"),
        sa.func.count().over(**everything).label("visits"),
        sa.func.max(Visit.people_briefed).over(**everything).label("people_briefed"),
        sa.func.max(Visit.app_installs).over(**everything).label("app_installs"),
        sa.func.max(Visit.visited_at).over(**everything).label("last_visit_at"),
    ).where(Visit.round_id == round_id, COUNTED).subquery()
    status = sa.case((per_visit.c.ever_reached == 1, Outcome.REACHED.value), else_=per_visit.c.outcome)
    select = (
        sa.select(sa.literal(round_id), per_visit.c.household_id, Household.grid_id, status, per_visit.c.last_visit_at,
                  per_visit.c.visits, per_visit.c.people_briefed, per_visit.c.app_installs)
        .join(Household, Household.id == per_visit.c.household_id).where(per_visit.c.latest == 1)
    )
    columns = ["round_id", "household_id", "grid_id", "status", "last_visit_at", "visits", "people_briefed",
               "app_installs"]
    db.session.execute(sa.insert(RoundHousehold.__table__).from_select(columns, select))


def _rebuild_grids(round_id: int) -> None:
    figures: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(TALLY_COLUMNS, 0))
    rh = RoundHousehold
    for row in db.session.execute(sa.select(
            rh.grid_id, *[_int(rh.status == o).label(o.value) for o in Outcome],
            sa.func.sum(rh.people_briefed).label("people_briefed"), sa.func.sum(rh.app_installs).label("app_installs"),
    ).where(rh.round_id == round_id).group_by(rh.grid_id)).mappings():
        figures[row["grid_id"]].update({k: int(v or 0) for k, v in row.items() if k != "grid_id"})
    for row in db.session.execute(sa.select(
            Household.grid_id, sa.func.count().label("visits"), _int(FLAGGED).label("flagged"),
            _int(Visit.geo == GeoCheck.RED).label("far"), _int(Visit.geo == GeoCheck.GREY).label("no_fix"),
            _int(Visit.too_fast).label("too_fast"), _int(Visit.geo == GeoCheck.COARSE).label("coarse_fix"),
            _int(sa.not_(Visit.time_trusted)).label("untrusted_time"),
    ).join(Household, Household.id == Visit.household_id).where(Visit.round_id == round_id)
            .group_by(Household.grid_id)).mappings():
        figures[row["grid_id"]].update({k: int(v or 0) for k, v in row.items() if k != "grid_id"})
    rows = [{"round_id": round_id, "grid_id": grid_id, **values} for grid_id, values in figures.items()]
    for start in range(0, len(rows), 5000):
        db.session.execute(sa.insert(GridTally), rows[start:start + 5000])


def _rebuild_workers(round_id: int) -> None:
    figures: dict[int, dict[str, int]] = defaultdict(lambda: {"visits": 0, "reached": 0, "flagged": 0})
    for worker_id, visits, flagged in db.session.execute(
            sa.select(Visit.worker_id, sa.func.count(), _int(FLAGGED))
            .where(Visit.round_id == round_id).group_by(Visit.worker_id)):
        figures[worker_id].update(visits=int(visits), flagged=int(flagged or 0))
    # A household counts as reached by the worker whose visit first reached it (in recording order).
    first = sa.select(
        Visit.worker_id,
        sa.func.row_number().over(partition_by=Visit.household_id, order_by=Visit.id).label("n"),
    ).where(Visit.round_id == round_id, Visit.outcome == Outcome.REACHED, COUNTED).subquery()
    for worker_id, reached in db.session.execute(
            sa.select(first.c.worker_id, sa.func.count()).where(first.c.n == 1).group_by(first.c.worker_id)):
        figures[worker_id]["reached"] = int(reached)
    rows = [{"round_id": round_id, "worker_id": worker_id, **values} for worker_id, values in figures.items()]
    if rows:
        db.session.execute(sa.insert(WorkerTally), rows)
