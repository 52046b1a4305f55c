"""Creation targets and their life cycle (未启动 → 创建中 → 申请验收 → 已授牌 → 摘牌). Every
transition goes into the audit log with who, from, to and why. Flush, never commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area, AreaLevel
from campaign.audit.services import apply_changes, diff, record, snapshot
from campaign.core.clock import local_today
from campaign.core.errors import DomainError
from campaign.core.text import clean_phone, clean_text, is_valid_phone
from campaign.core.types import utcnow
from campaign.events.models import PublicityEvent
from campaign.extensions import db
from campaign.incidents.models import Incident
from campaign.incidents.signals import incident_recorded
from campaign.warnings.models import FraudWarning

from . import certificates
from .criteria import DEFAULTS, evaluate
from .models import Certificate, CreationCriteria, CreationTarget, TargetKind, TargetStatus, TargetStatusChange

S = TargetStatus
MAX_HEADCOUNT = 1_000_000


@dataclass
class TargetFields:
    kind: TargetKind
    name: str
    contact_name: str
    contact_phone: str
    headcount: int


def check_fields(*, kind, name: str, area: Area, contact_name: str = "", contact_phone: str = "",
                 headcount=0) -> TargetFields:
    if not isinstance(kind, TargetKind):
        raise DomainError(_l("Choose the kind of target."), field="kind")
    name = clean_text(name)[:100]
    if kind.tied_to_area:
        if area.level is not AreaLevel.VILLAGE:
            raise DomainError(_l("A village or community target is its village or community: give its code."),
                              field="area_code")
        name = name or area.name
    elif area.level in (AreaLevel.CITY, AreaLevel.GRID):
        raise DomainError(_l("A school or unit sits in a county, township or village."), field="area_code")
    if not name:
        raise DomainError(_l("Give the name."), field="name")
    phone = clean_phone(contact_phone) if contact_phone else ""
    if phone and not is_valid_phone(phone):
        raise DomainError(_l("%(value)s is not a phone number.", value=contact_phone), field="contact_phone")
    if headcount in (None, ""):
        headcount = 0
    try:
        headcount = int(str(headcount).strip())
    except ValueError:
        raise DomainError(_l("%(value)s is not a whole number.", value=headcount), field="headcount") from None
    if not 0 <= headcount <= MAX_HEADCOUNT:
        raise DomainError(_l("The headcount is between 0 and 1,000,000."), field="headcount")
    if not kind.tied_to_area and headcount == 0:
        raise DomainError(_l("Give the headcount: it is what the app install rate is measured against."),
                          field="headcount")
    return TargetFields(kind, name, clean_text(contact_name)[:40], phone, headcount)


def _check_unique(fields: TargetFields, area: Area, exclude_id: int | None = None) -> None:
    query = sa.select(CreationTarget.id).where(CreationTarget.area_id == area.id, CreationTarget.kind == fields.kind)
    if not fields.kind.tied_to_area:
        query = query.where(CreationTarget.name == fields.name)
    if exclude_id is not None:
        query = query.where(CreationTarget.id != exclude_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise DomainError(_l("%(name)s is already registered.", name=fields.name),
                          field="area_code" if fields.kind.tied_to_area else "name")


def create_target(*, area: Area, fields: TargetFields, user=None) -> CreationTarget:
    _check_unique(fields, area)
    target = CreationTarget(area=area, created_by_id=user.id if user else None, status=S.NOT_STARTED,
                            status_changed_at=utcnow(), **vars(fields))
    db.session.add(target)
    db.session.flush()
    db.session.add(TargetStatusChange(target_id=target.id, status=target.status, at=target.status_changed_at))
    record(action="create", subject="creation_target", subject_id=target.id, area_code=area.code,
           changes=diff({}, snapshot(target, CreationTarget.AUDITED)), user=user)
    return target


def update_target(target: CreationTarget, *, area: Area, fields: TargetFields, user=None) -> CreationTarget:
    if fields.kind is not target.kind and target.certificates:
        raise DomainError(_l("A target with a certificate keeps its kind."), field="kind")
    _check_unique(fields, area, exclude_id=target.id)
    changes = apply_changes(target, {"area": area, **vars(fields)}, CreationTarget.AUDITED)
    if changes:
        record(action="update", subject="creation_target", subject_id=target.id, area_code=area.code,
               changes=changes, user=user)
    return target


def delete_target(target: CreationTarget, *, user=None) -> None:
    if target.certificates:
        raise DomainError(_l("A target that has held a certificate cannot be deleted; revoke its title instead."))
    for model in (Incident, FraudWarning, PublicityEvent):  # the records stay, no longer tied to it
        db.session.execute(sa.update(model).where(model.target_id == target.id).values(target_id=None),
                           execution_options={"synchronize_session": False})
    record(action="delete", subject="creation_target", subject_id=target.id, area_code=target.area.code,
           changes=diff(snapshot(target, CreationTarget.AUDITED), {}), user=user)
    db.session.delete(target)
    db.session.flush()


# --- life cycle -------------------------------------------------------------------------------

class Transition(NamedTuple):
    sources: frozenset[TargetStatus]
    to: TargetStatus
    county_only: bool
    reason_required: bool
    label: object  # a lazy string


TRANSITIONS = {
    "start": Transition(frozenset({S.NOT_STARTED, S.REVOKED, S.CERTIFIED}), S.IN_PROGRESS, False, False,
                        _l("Start creation")),
    "apply": Transition(frozenset({S.IN_PROGRESS}), S.APPLIED, False, False, _l("Apply for acceptance")),
    "send_back": Transition(frozenset({S.APPLIED}), S.IN_PROGRESS, True, True, _l("Send back for review")),
    "certify": Transition(frozenset({S.APPLIED}), S.CERTIFIED, True, False, _l("Accept and certify")),
    "revoke": Transition(frozenset({S.CERTIFIED}), S.REVOKED, True, True, _l("Revoke the title")),
    "clear_review": Transition(frozenset({S.CERTIFIED}), S.CERTIFIED, True, True, _l("Keep the title after review")),
}
REASON_REQUIRED = frozenset(action for action, t in TRANSITIONS.items() if t.reason_required)
HISTORY_LABELS = {**{action: t.label for action, t in TRANSITIONS.items()}, "create": _l("Registered"),
                  "update": _l("Edited"), "flag_review": _l("Flagged for review (复核)")}


def available_actions(target: CreationTarget, user, *, today: date | None = None) -> list[str]:
    today = today or local_today()
    actions = []
    for action, t in TRANSITIONS.items():
        if target.status not in t.sources or (t.county_only and not user.is_county):
            continue
        if action == "start" and target.status is S.CERTIFIED and not _expired(target, today):
            continue
        if action == "clear_review" and target.review_flagged_at is None:
            continue
        actions.append(action)
    return actions


def _expired(target: CreationTarget, today: date) -> bool:
    certificate = target.certificate
    return certificate is None or certificate.valid_until < today


def transition(target: CreationTarget, action: str, *, user, reason: str = "", override_reason: str = "",
               today: date | None = None) -> Certificate | None:
    """Move the target along its life cycle; certifying returns the certificate it issued."""
    today = today or local_today()
    if action not in TRANSITIONS:
        raise DomainError(_l("Unknown action."))
    to = TRANSITIONS[action].to
    if TRANSITIONS[action].county_only and not user.is_county:
        raise DomainError(_l("Only the county office can do this."))
    if action not in available_actions(target, user, today=today):
        raise DomainError(_l("A target that is %(status)s cannot do this.", status=target.status.label))
    reason, override_reason = clean_text(reason)[:500], clean_text(override_reason)[:500]
    if action in REASON_REQUIRED and not reason:
        raise DomainError(_l("Give the reason."), field="reason")
    certificate, extra = None, {}
    if action == "certify":
        evaluation = evaluate(target, today=today)
        if not evaluation.all_met:
            if not override_reason:
                raise DomainError(_l("Not every criterion is met (%(names)s). Certify only with an override "
                                     "and its reason.", names="、".join(c.label for c in evaluation.unmet)),
                                  field="override_reason")
            extra["override"] = [None, {"unmet": [c.key for c in evaluation.unmet], "reason": override_reason}]
            reason = reason or override_reason
        certificate = certificates.issue(target, user=user, today=today, override_reason=override_reason)
        extra["certificate"] = [None, certificate.serial]
    elif action == "revoke":
        certificates.revoke(target.certificate, today=today, reason=reason)
        extra["certificate"] = [target.certificate.serial, None]
    if action in ("certify", "revoke", "clear_review", "start"):
        target.review_flagged_at, target.review_reason = None, ""
    before = target.status
    target.status, target.status_changed_at, target.status_note = to, utcnow(), reason
    if to is not before:
        db.session.add(TargetStatusChange(target_id=target.id, status=to, at=target.status_changed_at))
    db.session.flush()
    record(action=action, subject="creation_target", subject_id=target.id, area_code=target.area.code,
           changes={"status": [before.value, to.value], **extra}, reason=reason, user=user)
    return certificate


# --- review when an incident happens inside a certified target ---------------------------------

def _certified_around(incident) -> sa.Select:
    """The certified targets the incident falls in (its village's community, its school or unit)."""
    return sa.select(CreationTarget).where(CreationTarget.status == S.CERTIFIED, sa.or_(
        sa.and_(CreationTarget.kind == TargetKind.COMMUNITY, CreationTarget.area_id == incident.village_id),
        CreationTarget.id == incident.target_id if incident.target_id else sa.false()))


def flagged_by(incident) -> list[CreationTarget]:
    """The certified targets the incident falls in that wait for review, for the page to say so."""
    return list(db.session.scalars(_certified_around(incident).where(CreationTarget.review_flagged_at.is_not(None))
                                   .order_by(CreationTarget.name)))


def flag_for_review(incident) -> list[CreationTarget]:
    """Flag every certified target the incident falls in (its village's community, its school or unit)."""
    query = _certified_around(incident)
    flagged = []
    with force_locale("zh_CN"):
        line = str(_l("%(kind)s on %(day)s in %(village)s (incident %(id)s)", kind=incident.kind.label,
                      day=incident.occurred_on.isoformat(), village=incident.village.name, id=incident.id))
    for target in db.session.scalars(query):
        if target.review_flagged_at is None:
            target.review_flagged_at, target.review_reason = utcnow(), line
        elif line not in target.review_reason:
            target.review_reason = f"{target.review_reason}；{line}"[:500]
        record(action="flag_review", subject="creation_target", subject_id=target.id, area_code=target.area.code,
               changes={"incident": [None, incident.id]}, reason=line, user=None)
        flagged.append(target)
    db.session.flush()
    return flagged


@incident_recorded.connect
def _on_incident(incident, **_kwargs) -> None:
    flag_for_review(incident)


# --- the county's settings ----------------------------------------------------------------------

def set_criteria(area: Area, kind: TargetKind, *, user=None, **values) -> CreationCriteria:
    if not 1 <= (values.get("window_months") or 0) <= 36:
        raise DomainError(_l("The window is between 1 and 36 months."), field="window_months")
    for name in ("min_coverage", "min_install_rate", "min_face_rate"):
        if values.get(name) is not None and not 0 <= values[name] <= 100:
            raise DomainError(_l("A rate is between 0 and 100 %."), field=name)
    if values.get("min_events") is not None and not 0 <= values["min_events"] <= 1000:
        raise DomainError(_l("The number of events is between 0 and 1000."), field="min_events")
    criteria = db.session.get(CreationCriteria, (area.id, kind))
    before = snapshot(criteria, CreationCriteria.FIELDS) if criteria else DEFAULTS[kind]
    criteria = criteria or CreationCriteria(area_id=area.id, kind=kind)
    for name in CreationCriteria.FIELDS:
        setattr(criteria, name, values.get(name))
    criteria.three_no = bool(values.get("three_no"))
    db.session.add(criteria)
    db.session.flush()
    changes = diff(before, snapshot(criteria, CreationCriteria.FIELDS))
    if changes:
        record(action="update", subject="creation_criteria", subject_id=area.id, area_code=area.code,
               changes={"kind": [None, kind.value], **changes}, user=user)
    return criteria


def set_all_criteria(area: Area, criteria: dict[TargetKind, dict], *, issuer: str, user=None) -> None:
    """The criteria page saved at once: every kind's criteria and the issuer, each change audited as if
    saved alone. A bad value anywhere raises, and the view's rollback leaves everything as it was."""
    for kind, values in criteria.items():
        try:
            set_criteria(area, kind, user=user, **values)
        except DomainError as error:
            raise DomainError(_l("%(kind)s: %(problem)s", kind=kind.label, problem=error.message)) from None
    certificates.set_issuer(area, issuer, user=user)
