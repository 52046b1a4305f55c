"""Incidents: checked input, every change in the audit log. Flush, never commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area, AreaLevel
from campaign.audit.services import apply_changes, diff, record, snapshot
from campaign.core.clock import local_today
from campaign.core.errors import DomainError
from campaign.core.text import clean_text, fold
from campaign.extensions import db

from .models import FRAUD_TYPE_CHINESE, INCIDENT_KIND_CHINESE, FraudType, Incident, IncidentKind
from .signals import incident_recorded

MAX_YUAN = Decimal("1000000000")


@dataclass
class IncidentFields:
    occurred_on: date
    fraud_type: FraudType
    loss: Decimal
    recovered: Decimal
    case_ref: str
    description: str
    kind: IncidentKind = IncidentKind.CASE
    target_id: int | None = None


def parse_fraud_type(value) -> FraudType:
    text = fold(value)
    if text in FRAUD_TYPE_CHINESE:
        return FRAUD_TYPE_CHINESE[text]
    try:
        return FraudType(text)
    except ValueError:
        raise DomainError(_l("%(value)s is not a known fraud type.", value=value), field="fraud_type") from None


def parse_yuan(value, field: str) -> Decimal:
    text = fold(value).replace(",", "").replace("元", "") if value is not None else ""
    if text == "":
        return Decimal(0)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise DomainError(_l("%(value)s is not an amount in yuan.", value=value), field=field) from None
    if not amount.is_finite() or amount < 0:
        raise DomainError(_l("An amount cannot be negative."), field=field)
    if amount >= MAX_YUAN:
        raise DomainError(_l("%(value)s is too large.", value=value), field=field)
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)  # 四舍五入 to the fen


def parse_kind(value) -> IncidentKind:
    text = fold(value)
    if not text:
        return IncidentKind.CASE
    if text in INCIDENT_KIND_CHINESE:
        return INCIDENT_KIND_CHINESE[text]
    try:
        return IncidentKind(text)
    except ValueError:
        raise DomainError(_l("%(value)s is not a case, a fraud den or a fraud-involved person.", value=value),
                          field="kind") from None


def check_fields(*, occurred_on: date | None, fraud_type, loss, recovered, case_ref: str,
                 description: str, kind=IncidentKind.CASE, target_id: int | None = None) -> IncidentFields:
    if occurred_on is None:
        raise DomainError(_l("Give the date of the incident."), field="occurred_on")
    if occurred_on > local_today():
        raise DomainError(_l("The date is in the future."), field="occurred_on")
    fraud = fraud_type if isinstance(fraud_type, FraudType) else parse_fraud_type(fraud_type)
    kind = kind if isinstance(kind, IncidentKind) else parse_kind(kind)
    return IncidentFields(occurred_on, fraud, parse_yuan(loss, "loss"), parse_yuan(recovered, "recovered"),
                          fold(case_ref)[:40], clean_text(description)[:500], kind, target_id)


def _check_village(village: Area) -> None:
    if village.level is not AreaLevel.VILLAGE:
        raise DomainError(_l("An incident is recorded against a village or community."), field="village_code")


def create_incident(*, village: Area, fields: IncidentFields, user=None) -> Incident:
    _check_village(village)
    incident = Incident(village=village, created_by_id=user.id if user else None, **vars(fields))
    db.session.add(incident)
    db.session.flush()
    record(action="create", subject="incident", subject_id=incident.id, area_code=village.code,
           changes=diff({}, snapshot(incident, Incident.AUDITED)), user=user)
    incident_recorded.send(incident)
    return incident


def update_incident(incident: Incident, *, village: Area, fields: IncidentFields, user=None) -> Incident:
    _check_village(village)
    changes = apply_changes(incident, {"village": village, **vars(fields)}, Incident.AUDITED)
    if changes:
        record(action="update", subject="incident", subject_id=incident.id, area_code=village.code,
               changes=changes, user=user)
        incident_recorded.send(incident)
    return incident


def delete_incident(incident: Incident, *, reason: str = "", user=None) -> None:
    record(action="delete", subject="incident", subject_id=incident.id, area_code=incident.village.code,
           changes=diff(snapshot(incident, Incident.AUDITED), {}), reason=reason, user=user)
    db.session.delete(incident)
    db.session.flush()
