"""Warnings: receive, assign, log attempts, close; every step audited. Flush, never commit."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import ValidationError

from campaign.accounts.models import Role, User
from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within
from campaign.audit.services import diff, record, snapshot
from campaign.core.claims import claim
from campaign.core.errors import DomainError
from campaign.core.text import clean_phone, clean_text, is_valid_phone
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.incidents.services import parse_yuan
from campaign.rounds.services import ancestor_codes
from campaign.visits.schemas import explain

from .access import warnings_query
from .matching import match_household
from .models import DEFAULT_HOURS, AttemptKind, FraudWarning, Level, WarningAttempt, WarningOutcome, WarningPolicy
from .schemas import ACTION, AttemptIn

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
    for warning in db.session.scalars(sa.select(FraudWarning).join(Area, Area.id == FraudWarning.area_id).where(
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
    if household is None:
        match_household(warning)
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


def log_attempt(warning: FraudWarning, *, at: datetime, kind: AttemptKind, result: str, user=None,
                uuid: str | None = None, content_hash: str | None = None, phone_time: datetime | None = None,
                clock_offset_ms: int | None = None, time_trusted: bool = True) -> WarningAttempt:
    """Log an attempt; ``uuid`` and what follows it come from the phone (the page sends none of them)."""
    if not warning.is_open:
        raise DomainError(_l("This warning is closed."))
    _check_time(at, "at")
    if at < warning.received_at - SKEW:
        raise DomainError(_l("An attempt cannot come before the warning was received."), field="at")
    attempt = WarningAttempt(warning=warning, at=at, kind=kind, result=clean_text(result)[:300],
                             user_id=user.id if user else None, uuid=uuid, content_hash=content_hash,
                             phone_time=phone_time, clock_offset_ms=clock_offset_ms, time_trusted=time_trusted)
    db.session.add(attempt)
    if kind is AttemptKind.FACE and (warning.first_face_at is None or at < warning.first_face_at):
        warning.first_face_at = at
    db.session.flush()
    record(action="attempt", subject="warning", subject_id=warning.id, area_code=warning.area.code, user=user,
           changes={"attempt": [None, f"{kind.value} {at.isoformat()} {attempt.result}"]})
    return attempt


def close(warning: FraudWarning, *, outcome: WarningOutcome, loss_prevented, user=None, at: datetime | None = None,
          note: str = "", uuid: str | None = None, content_hash: str | None = None) -> FraudWarning:
    """Close the warning, now or ``at`` (the phone's time); ``note`` is kept as the audit entry's reason."""
    if not warning.is_open:
        raise DomainError(_l("This warning is already closed."))
    if not warning.attempts and outcome is not WarningOutcome.FALSE_ALARM:
        raise DomainError(_l("Log at least one attempt before closing the warning."), field="outcome")
    amount = parse_yuan(loss_prevented, "loss_prevented")
    before = snapshot(warning, FraudWarning.AUDITED)
    warning.outcome, warning.loss_prevented, warning.closed_at = outcome, amount, at or utcnow()
    warning.close_uuid, warning.close_hash = uuid, content_hash
    db.session.flush()
    record(action="close", subject="warning", subject_id=warning.id, area_code=warning.area.code, user=user,
           changes=diff(before, snapshot(warning, FraudWarning.AUDITED)), reason=clean_text(note)[:500])
    return warning


# --- actions from the grid worker's phone ---------------------------------------------------------

@dataclass
class ActionResult:
    """The answer to one action: ``code`` and ``mendable`` say why it was refused and whether the worker
    can change it and send it again; ``reason`` says so in the worker's language."""

    uuid: str | None
    status: str  # created | duplicate | conflict | rejected
    code: str | None = None
    mendable: bool | None = None
    reason: str | None = None
    warning_id: int | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _refused(item, code: str, reason: str, *, mendable: bool = False) -> ActionResult:
    return ActionResult(str(item.uuid), "rejected", code, mendable, reason, item.warning_id)


def _conflict(item) -> ActionResult:
    return ActionResult(str(item.uuid), "conflict", "conflict", None, _(
        "This action was already recorded with different content. Delete this copy; the recorded one stands."),
        item.warning_id)


def record_actions(*, worker: User, items: list) -> list[ActionResult]:
    """Check and record a batch of warning actions from a worker's phone, in the order sent. Never commits."""
    results: list[ActionResult | None] = [None] * len(items)
    parsed = []
    for index, raw in enumerate(items):
        uuid = raw.get("uuid") if isinstance(raw, dict) and isinstance(raw.get("uuid"), str) else None
        try:
            parsed.append((index, ACTION.validate_python(raw)))
        except ValidationError as error:
            results[index] = ActionResult(uuid, "rejected", "invalid", False, _(
                "The phone sent an action that cannot be read (%(detail)s). Enter it again on the warning's page.",
                detail=explain(error)))
    if parsed:
        uuids = [str(item.uuid) for _index, item in parsed]
        claim(WarningAttempt.__table__, uuids)  # first: the same UUID from another phone waits for this batch
        mine = {w.id: w for w in db.session.scalars(  # locked: actions on one warning are written one at a time
            warnings_query(worker).where(FraudWarning.id.in_({item.warning_id for _index, item in parsed}))
            .order_by(None).order_by(FraudWarning.id).with_for_update(of=FraudWarning))}
        attempts = {a.uuid: a for a in db.session.scalars(
            sa.select(WarningAttempt).where(WarningAttempt.uuid.in_(uuids)))}
        closes = {w.close_uuid: w for w in db.session.scalars(
            sa.select(FraudWarning).where(FraudWarning.close_uuid.in_(uuids)))}
        for index, item in parsed:
            results[index] = _record(worker, item, mine, attempts, closes)
    return results  # type: ignore[return-value]


def _record(worker: User, item, mine: dict, attempts: dict, closes: dict) -> ActionResult:
    uuid, digest = str(item.uuid), item.fingerprint()
    if uuid in attempts or uuid in closes:
        attempt, closed = attempts.get(uuid), closes.get(uuid)
        owner = attempt.user_id if attempt else closed.assigned_to_id
        stored = attempt.content_hash if attempt else closed.close_hash
        if owner != worker.id or stored != digest:
            return _conflict(item)
        return ActionResult(uuid, "duplicate", warning_id=item.warning_id)
    warning = mine.get(item.warning_id)
    if warning is None:
        return _refused(item, "not_yours", _(
            "This warning is not assigned to you (any more). Delete the action; ask your township who handles it."))
    if not warning.is_open:
        return _refused(item, "closed", _(
            "This warning was closed on %(at)s, so the action was not recorded. Delete it.",
            at=format_datetime(warning.closed_at, "short")))
    at, phone_time, trusted = item.at, item.phone_time, item.time_trusted
    if at < warning.received_at - SKEW:
        return _refused(item, "bad_time", _(
            "%(at)s is before the warning was received (%(received)s). Correct the time and send it again.",
            at=format_datetime(at, "short"), received=format_datetime(warning.received_at, "short")), mendable=True)
    now = utcnow()
    if at > now + SKEW:  # the phone's clock runs ahead: kept as sent, the receive time stands in for it
        phone_time, at, trusted = phone_time or at, now, False
    try:
        if isinstance(item, AttemptIn):
            attempts[uuid] = log_attempt(warning, at=at, kind=item.kind, result=item.result, user=worker, uuid=uuid,
                                         content_hash=digest, phone_time=phone_time,
                                         clock_offset_ms=item.clock_offset_ms, time_trusted=trusted)
        else:
            closes[uuid] = close(warning, outcome=item.outcome, loss_prevented=item.loss_prevented, user=worker,
                                 at=at, note=item.result, uuid=uuid, content_hash=digest)
    except DomainError as error:
        if error.field != "outcome":
            return _refused(item, "invalid", str(error.message))
        return _refused(item, "no_attempt", _(
            "Log an attempt (face to face or by phone) before closing the warning, then send the closing again."),
            mendable=True)
    return ActionResult(uuid, "created", warning_id=warning.id)
