"""Call-back tasks (回访抽查): assigning checkers, logging attempts and recording results. Never commits.

A checker never checks their own visits: assignment passes a task to the next checker named, or
leaves it unassigned, and recording refuses it, whoever assigned it."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.accounts.models import Role, User, user_grid
from campaign.areas.models import Area
from campaign.areas.scope import within, within_any
from campaign.audit import services as audit
from campaign.core.errors import DomainError
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.review.services import review_visits
from campaign.review.states import ReviewState
from campaign.visits.models import Visit

from .models import CallbackAttempt, CallbackSample, CallbackTask, Method, Result, TaskStatus

# "Unreachable" is a result only after this many attempts.
ATTEMPTS_FOR_UNREACHABLE = 3
MAX_NOTE = 500
MAX_ATTEMPT_NOTE = 300
MAX_ASSIGN = 10_000


@dataclass(frozen=True)
class Assigned:
    assigned: int
    skipped: int  # tasks every named checker had visited themselves


def checkers_query(area: Area) -> sa.Select:
    """Active people who may check a sample of ``area``: workers with a grid in it, and officials and
    county staff whose own area lies in it or contains it."""
    in_grids = (sa.select(user_grid.c.user_id).join(Area, Area.id == user_grid.c.area_id)
                .where(within(Area.code, area.code)))
    prefixes = [area.code[:n] for n in range(1, len(area.code) + 1)]
    offices = (sa.select(User.id).join(Area, Area.id == User.area_id)
               .where(User.role != Role.WORKER,
                      sa.or_(within(Area.code, area.code), Area.code.in_(prefixes))))
    return (sa.select(User).where(User.active, sa.or_(User.id.in_(in_grids), User.id.in_(offices)))
            .order_by(User.role, User.display_name, User.id))


def own_households(checker_id: int, round_id: int, household_ids: Sequence[int]) -> set[int]:
    """Those of these households that the checker visited in the round, in any visit."""
    found: set[int] = set()
    ids = sorted(set(household_ids))
    for start in range(0, len(ids), 900):  # below SQLite's bound-parameter limit
        found.update(db.session.scalars(
            sa.select(Visit.household_id).where(Visit.round_id == round_id, Visit.worker_id == checker_id,
                                                Visit.household_id.in_(ids[start:start + 900])).distinct()))
    return found


def assign(*, sample: CallbackSample, tasks: Sequence[CallbackTask], checkers: Sequence[User],
           user: User) -> Assigned:
    """Give the open ``tasks`` to ``checkers`` in turn. A task whose household the next checker visited
    in the round goes to the one after; if every checker visited it, it is left as it was."""
    if not checkers:
        raise DomainError(_("Choose at least one checker."), field="checkers")
    allowed = set(db.session.scalars(checkers_query(sample.area).with_only_columns(User.id)
                                     .where(User.id.in_([c.id for c in checkers]))))
    if allowed != {c.id for c in checkers}:
        raise DomainError(_("Choose checkers of this sample's area."), field="checkers")
    open_tasks = [t for t in tasks if t.status is TaskStatus.OPEN]
    if len(open_tasks) > MAX_ASSIGN:
        raise DomainError(_("Assign at most %(n)s tasks at once.", n=MAX_ASSIGN), field="checkers")
    households = [t.household_id for t in open_tasks]
    visited = {c.id: own_households(c.id, sample.round_id, households) for c in checkers}
    assigned = skipped = 0
    turn = 0
    for task in sorted(open_tasks, key=lambda t: t.id):
        for step in range(len(checkers)):
            checker = checkers[(turn + step) % len(checkers)]
            if checker.id != task.worker_id and task.household_id not in visited[checker.id]:
                task.checker_id = checker.id
                assigned += 1
                turn = (turn + step + 1) % len(checkers)
                break
        else:
            skipped += 1
    db.session.flush()
    audit.record(action="assign", subject="callback_sample", subject_id=sample.id, area_code=sample.area.code,
                 changes={"tasks": [None, assigned], "checkers": [None, ", ".join(c.display_name for c in checkers)]},
                 user=user)
    return Assigned(assigned, skipped)


def refuse_own(task: CallbackTask, user: User) -> None:
    if task.worker_id == user.id or own_households(user.id, task.sample.round_id, [task.household_id]):
        raise DomainError(_("You visited this household yourself in this round: someone else must call it back."))


def log_attempt(*, task: CallbackTask, at: datetime, method: Method, note: str, user: User,
                result: Result | None = None, result_note: str = "") -> CallbackAttempt:
    """Log one call or revisit, and with it the result if there is one. "Not visited" puts the visit
    under question (有疑问) through the review service, tallies and audit included."""
    refuse_own(task, user)
    if task.status is TaskStatus.DONE:
        raise DomainError(_("This call-back already has a result."))
    note, result_note = (note or "").strip(), (result_note or "").strip()
    if len(note) > MAX_ATTEMPT_NOTE:
        raise DomainError(_("Keep the note to %(n)s characters.", n=MAX_ATTEMPT_NOTE), field="note")
    if len(result_note) > MAX_NOTE:
        raise DomainError(_("Keep the note to %(n)s characters.", n=MAX_NOTE), field="result_note")
    if at > utcnow():
        raise DomainError(_("The time of the call or revisit is in the future."), field="at")
    attempt = CallbackAttempt(task=task, at=at, method=method, note=note, by_id=user.id)
    db.session.add(attempt)
    db.session.flush()
    if result is Result.UNREACHABLE and len(task.attempts) < ATTEMPTS_FOR_UNREACHABLE:
        raise DomainError(_("A household is unreachable only after %(n)s calls or revisits; this is number %(done)s.",
                            n=ATTEMPTS_FOR_UNREACHABLE, done=len(task.attempts)), field="result")
    area_code = task.household.grid.code
    audit.record(action="attempt", subject="callback_task", subject_id=task.id, area_code=area_code,
                 changes={"method": [None, method.value], "at": [None, at.isoformat()]}, user=user)
    if result is not None:
        task.result, task.result_note, task.status, task.done_at = result, result_note, TaskStatus.DONE, utcnow()
        db.session.flush()
        audit.record(action="close", subject="callback_task", subject_id=task.id, area_code=area_code,
                     changes={"result": [None, result.value], "result_note": [None, result_note or None]}, user=user)
        if result is Result.NOT_VISITED:
            _question(task, result_note, user)
    return attempt


def _question(task: CallbackTask, note: str, user: User) -> None:
    """A visit not yet questioned or struck out is questioned; one an official already judged is left."""
    visit = db.session.get(Visit, task.visit_id)
    if visit.review_state in (ReviewState.RECEIVED, ReviewState.VERIFIED):
        text = _("Call-back: the household says nobody came.")
        review_visits(visit_ids=[visit.id], state=ReviewState.HAS_ISSUES,
                      note=f"{text} {note}".strip()[:MAX_NOTE], user=user)


def new_not_visited(prefixes: Sequence[str]) -> sa.Select:
    """Tasks in these areas answered "not visited" whose visit still awaits an official: still has
    issues (有疑问). Reviewing the visit takes it off the count."""
    return (sa.select(CallbackTask.id).join(Visit, Visit.id == CallbackTask.visit_id)
            .join(Area, Area.id == CallbackTask.village_id)
            .where(CallbackTask.result == Result.NOT_VISITED, Visit.review_state == ReviewState.HAS_ISSUES,
                   within_any(Area.code, prefixes)))


def count_new_not_visited(user: User) -> int:
    if user.is_worker:
        return 0
    return db.session.scalar(sa.select(sa.func.count()).select_from(new_not_visited(user.scope_codes()).subquery()))
