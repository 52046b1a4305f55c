"""Warnings: receive, assign, log attempts, close; every step audited. Flush, never commit."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaign.accounts.models import Role, User
from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within
from campaign.audit.services import diff, record, snapshot
from campaign.core.errors import DomainError
from campaign.core.text import clean_phone, clean_text, is_valid_phone
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.incidents.services import parse_yuan
from campaign.rounds.services import ancestor_codes

from .models import DEFAULT_HOURS, AttemptKind, FraudWarning, Level, WarningAttempt, WarningOutcome, WarningPolicy

SKEW = timedelta(minutes=5)


def policy_for(area: Area) -> WarningPolicy:
    """The deadlines of the county (or city) the area belongs to; the defaults when none are set."""
    policy = db.session.scalar(sa.select(WarningPolicy).join(Area, Area.id == WarningPolicy.area_id)
                               .where(Area.code.in_(ancestor_codes(area.code))).order_by(Area.code.desc()).limit(1))
    return policy or WarningPolicy(high_hours=DEFAULT_HOURS[Level.HIGH], medium_hours=DEFAULT_HOURS[Level.MEDIUM],
                                   low_hours=DEFAULT_HOURS[Level.LOW])


def set_policy(area: Area, *, high: int, medium: int, low: int, user=None) -> WarningPolicy:
    for name, hours in (("high", high), ("medium", medium), ("low", low)):
        if not isinstance(hours, int) or not 1 <= hours <= 720:
            raise DomainError(_l("A deadline is between 1 and 720 hours."), field=name)
    policy = db.session.get(WarningPolicy, area.id) or WarningPolicy(area_id=area.id)
    before = snapshot(policy, ("high_hours", "medium_hours", "low_hours")) if policy.high_hours else {}
    policy.high_hours, policy.medium_hours, policy.low_hours = high, medium, low
    db.session.add(policy)
    db.session.flush()
    record(action="update", subject="warning_policy", subject_id=area.id, area_code=area.code, user=user,
           changes=diff(before, snapshot(policy, ("high_hours", "medium_hours", "low_hours"))))
    for warning in db.session.scalars(sa.select(FraudWarning).join(Area).where(
            within(Area.code, area.code), FraudWarning.closed_at.is_(None))):
        warning.deadline_at = warning.received_at + timedelta(hours=policy.hours(warning.level))
    return policy


def _check_time(moment: datetime, field: str) -> None:
    if moment.tzinfo is None:
        raise DomainError(_l("The time needs a time zone."), field=field)
    if moment > utcnow() + SKEW:
        raise DomainError(_l("The time is in the future."), field=field)


def validate(*, area: Area, resident: str, phone: str, received_at: datetime) -> tuple[str, str]:
    """The cleaned resident and phone of a new warning; raises on the first bad value."""
    if area.level not in (AreaLevel.VILLAGE, AreaLevel.GRID):
        raise DomainError(_l("A warning is placed in a village, community or grid."), field="area_code")
    resident = clean_text(resident)
    if not resident:
        raise DomainError(_l("Name the resident or household."), field="resident")
    phone = clean_phone(phone)
    if phone and not is_valid_phone(phone):
        raise DomainError(_l("%(phone)s is not a mobile (11 digits) or landline number.", phone=phone), field="phone")
    _check_time(received_at, "received_at")
    return resident, phone


def create_warning(*, area: Area, resident: str, level: Level, received_at: datetime, source: str = "",
                   phone: str = "", household=None, target_id: int | None = None, user=None) -> FraudWarning:
    resident, phone = validate(area=area, resident=resident, phone=phone, received_at=received_at)
    warning = FraudWarning(area=area, resident=resident[:60], phone=phone or None, level=level,
                           received_at=received_at, source=clean_text(source)[:60], household=household,
                           target_id=target_id,
                           deadline_at=received_at + timedelta(hours=policy_for(area).hours(level)))
    db.session.add(warning)
    db.session.flush()
    record(action="create", subject="warning", subject_id=warning.id, area_code=area.code, user=user,
           changes=diff({}, snapshot(warning, FraudWarning.AUDITED)))
    return warning


def assign(warning: FraudWarning, *, worker: User, user=None) -> FraudWarning:
    if not warning.is_open:
        raise DomainError(_l("This warning is closed."))
    township = warning.area.code[:9]
    if worker.role is not Role.WORKER or not any(g.code.startswith(township) for g in worker.grids):
        raise DomainError(_l("Assign the warning to a grid worker of its township."), field="worker")
    before = warning.assigned_to_id
    warning.assigned_to, warning.assigned_at = worker, utcnow()
    db.session.flush()
    record(action="assign", subject="warning", subject_id=warning.id, area_code=warning.area.code, user=user,
           changes={"assigned_to_id": [before, worker.id]})
    return warning


def log_attempt(warning: FraudWarning, *, at: datetime, kind: AttemptKind, result: str, user=None) -> WarningAttempt:
    if not warning.is_open:
        raise DomainError(_l("This warning is closed."))
    _check_time(at, "at")
    if at < warning.received_at - SKEW:
        raise DomainError(_l("An attempt cannot come before the warning was received."), field="at")
    attempt = WarningAttempt(warning=warning, at=at, kind=kind, result=clean_text(result)[:300],
                             user_id=user.id if user else None)
    db.session.add(attempt)
    if kind is AttemptKind.FACE and (warning.first_face_at is None or at < warning.first_face_at):
        warning.first_face_at = at
    db.session.flush()
    record(action="attempt", subject="warning", subject_id=warning.id, area_code=warning.area.code, user=user,
           changes={"attempt": [None, f"{kind.value} {at.isoformat()} {attempt.result}"]})
    return attempt


def close(warning: FraudWarning, *, outcome: WarningOutcome, loss_prevented, user=None) -> FraudWarning:
    if not warning.is_open:
        raise DomainError(_l("This warning is already closed."))
    if not warning.attempts and outcome is not WarningOutcome.FALSE_ALARM:
        raise DomainError(_l("Log at least one attempt before closing the warning."), field="outcome")
    amount = parse_yuan(loss_prevented, "loss_prevented")
    before = snapshot(warning, FraudWarning.AUDITED)
    warning.outcome, warning.loss_prevented, warning.closed_at = outcome, amount, utcnow()
    db.session.flush()
    record(action="close", subject="warning", subject_id=warning.id, area_code=warning.area.code, user=user,
           changes=diff(before, snapshot(warning, FraudWarning.AUDITED)))
    return warning
