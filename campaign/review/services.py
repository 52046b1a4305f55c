"""Reviewing visits (审核). A review sets a visit's state, who reviewed it, when and why, and records
it in the audit log. Striking a visit out (已作废), or taking it back, changes the household's state
in its round and the tallies in the same transaction, so that figures equal a rebuild (visits.rebuild)
at every moment. Never commits.

Locks, in this order, as visit ingest and the rebuild take theirs: the rounds' rows shared (a rebuild
takes its round's row exclusively, PostgreSQL), the grids' tally rows (as ingest does; on SQLite this
first write takes the database's one write lock), then the visits' rows. Figures change by deltas
(``x = x + d``), never by values read earlier."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.accounts.models import User
from campaign.audit import services as audit
from campaign.core.errors import DomainError
from campaign.core.types import utcnow
from campaign.core.upsert import dialect_insert, is_postgres
from campaign.extensions import db
from campaign.households.models import Household
from campaign.rounds.models import Round
from campaign.visits.models import GridTally, Outcome, RoundHousehold, Visit, WorkerTally
from campaign.visits.services import _lock_grids

from .states import ReviewState

MAX_NOTE = 500
MAX_BULK = 500  # visits reviewed in one go: a table page is 50


@dataclass(frozen=True)
class Standing:
    """A household's state in a round, from its visits that count (None: no visit counts)."""

    status: Outcome
    last_visit_at: object
    visits: int
    people_briefed: int
    app_installs: int


def check_note(state: ReviewState, note: str) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError(_("Keep the comment to %(n)s characters.", n=MAX_NOTE), field="note")
    if state.needs_note and not note:
        raise DomainError(_("Say why, for the grid worker to read."), field="note")
    return note


def review_visits(*, visit_ids: list[int], state: ReviewState, note: str, user: User) -> list[Visit]:
    """Give these visits ``state`` with ``note``, as ``user``; return the visits that changed.

    The caller has checked that every id is a visit inside the user's area. A visit already in this
    state with this note is left alone: reviewing twice changes nothing, tallies least of all."""
    note = check_note(state, note)
    ids = sorted(set(visit_ids))
    if not ids:
        return []
    if len(ids) > MAX_BULK:
        raise DomainError(_("Review at most %(n)s visits at once.", n=MAX_BULK), field="visit")
    placed = db.session.execute(
        sa.select(Visit.round_id, Household.grid_id).join(Household, Household.id == Visit.household_id)
        .where(Visit.id.in_(ids)).distinct()).all()
    if is_postgres():
        db.session.execute(sa.select(Round.id).where(Round.id.in_(sorted({r for r, _ in placed})))
                           .order_by(Round.id).with_for_update(read=True))
    _lock_grids([(r, g) for r, g in placed])
    visits = list(db.session.scalars(
        sa.select(Visit).where(Visit.id.in_(ids)).order_by(Visit.id).with_for_update()
        .execution_options(populate_existing=True)))
    changed = [v for v in visits if v.review_state is not state or v.review_note != note]
    flips = sorted({(v.round_id, v.household_id) for v in changed
                    if (v.review_state is ReviewState.REJECTED) != (state is ReviewState.REJECTED)})
    credited_before = {key: _credited(*key) for key in flips}
    now = utcnow()
    befores = {v.id: (v.review_state, v.review_note) for v in changed}
    for visit in changed:
        visit.review_state, visit.review_note = state, note
        visit.reviewed_by_id, visit.reviewed_at = user.id, now
    db.session.flush()
    for key in flips:
        _restate(*key, credited_before=credited_before[key])
    for visit in changed:
        old_state, old_note = befores[visit.id]
        changes = {"review_state": [old_state.value, state.value]} if old_state is not state else {}
        if old_note != note:
            changes["review_note"] = [old_note or None, note or None]
        audit.record(action="review", subject="visit", subject_id=visit.id, area_code=_grid_code(visit),
                     changes=changes, user=user)
    return changed


def _grid_code(visit: Visit) -> str | None:
    return visit.household.grid.code if visit.household and visit.household.grid else None


def standing(round_id: int, household_id: int) -> Standing | None:
    """What the visits that count say of the household: reached if any reached it, otherwise the
    latest outcome (a tie to the newer record); the most people briefed and installs in one visit."""
    counted = list(db.session.execute(
        sa.select(Visit.outcome, Visit.visited_at, Visit.people_briefed, Visit.app_installs)
        .where(Visit.round_id == round_id, Visit.household_id == household_id,
               Visit.review_state != ReviewState.REJECTED)
        .order_by(Visit.visited_at.desc(), Visit.id.desc())))
    if not counted:
        return None
    reached = any(row.outcome is Outcome.REACHED for row in counted)
    return Standing(status=Outcome.REACHED if reached else counted[0].outcome, last_visit_at=counted[0].visited_at,
                    visits=len(counted), people_briefed=max(row.people_briefed for row in counted),
                    app_installs=max(row.app_installs for row in counted))


def _credited(round_id: int, household_id: int) -> int | None:
    """The worker credited with reaching the household: the first visit that counts and reached it."""
    return db.session.scalar(
        sa.select(Visit.worker_id).where(Visit.round_id == round_id, Visit.household_id == household_id,
                                         Visit.outcome == Outcome.REACHED,
                                         Visit.review_state != ReviewState.REJECTED)
        .order_by(Visit.id).limit(1))


def _restate(round_id: int, household_id: int, *, credited_before: int | None) -> None:
    """Bring the household's row and the tallies to what its visits that count now say."""
    row = db.session.get(RoundHousehold, (round_id, household_id), populate_existing=True)
    new = standing(round_id, household_id)
    grid_id = row.grid_id if row is not None else db.session.get(Household, household_id).grid_id
    delta: dict[str, int] = defaultdict(int)
    if row is not None:
        delta[row.status.value] -= 1
        delta["people_briefed"] -= row.people_briefed
        delta["app_installs"] -= row.app_installs
    if new is not None:
        delta[new.status.value] += 1
        delta["people_briefed"] += new.people_briefed
        delta["app_installs"] += new.app_installs
    if new is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(RoundHousehold(round_id=round_id, household_id=household_id, grid_id=grid_id,
                                      status=new.status, last_visit_at=new.last_visit_at, visits=new.visits,
                                      people_briefed=new.people_briefed, app_installs=new.app_installs))
    else:
        row.status, row.last_visit_at, row.visits = new.status, new.last_visit_at, new.visits
        row.people_briefed, row.app_installs = new.people_briefed, new.app_installs
    db.session.flush()
    values = {name: getattr(GridTally, name) + amount for name, amount in delta.items() if amount}
    if values:
        db.session.execute(sa.update(GridTally).where(GridTally.round_id == round_id, GridTally.grid_id == grid_id)
                           .values(**values), execution_options={"synchronize_session": False})
    credited_after = _credited(round_id, household_id)
    if credited_after != credited_before:
        for worker_id, amount in ((credited_before, -1), (credited_after, 1)):
            if worker_id is not None:
                _add_reached(round_id, worker_id, amount)


def _add_reached(round_id: int, worker_id: int, amount: int) -> None:
    insert = dialect_insert(WorkerTally.__table__).values(round_id=round_id, worker_id=worker_id, visits=0,
                                                          reached=amount, flagged=0)
    db.session.execute(insert.on_conflict_do_update(
        index_elements=["round_id", "worker_id"],
        set_={"reached": WorkerTally.__table__.c.reached + insert.excluded.reached}))


def questioned_visits(worker: User) -> sa.Select:
    """The worker's own visits that a reviewer questioned or struck out, newest review first."""
    return (sa.select(Visit).where(Visit.worker_id == worker.id,
                                   Visit.review_state.in_([ReviewState.HAS_ISSUES, ReviewState.REJECTED]))
            .order_by(Visit.reviewed_at.desc(), Visit.id.desc()))
