"""Recording changes. Services call ``record`` in the same transaction as the change itself."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from flask_login import current_user

from campaign.extensions import db

from .models import AuditEntry


def _plain(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(obj, fields: tuple[str, ...]) -> dict:
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: dict, after: dict) -> dict:
    """Only what changed, as {field: [old, new]}."""
    return {k: [before.get(k), after.get(k)] for k in {**before, **after} if before.get(k) != after.get(k)}


def apply_changes(obj, values: dict, audited: tuple[str, ...]) -> dict:
    """Set ``values`` on ``obj`` and flush; return what changed among its ``audited`` fields."""
    before = snapshot(obj, audited)
    for name, value in values.items():
        setattr(obj, name, value)
    db.session.flush()
    return diff(before, snapshot(obj, audited))


def record(*, action: str, subject: str, subject_id: int, area_code: str | None, changes: dict,
           reason: str = "", user=None) -> AuditEntry:
    user = user if user is not None else (current_user if current_user and current_user.is_authenticated else None)
    entry = AuditEntry(action=action, subject=subject, subject_id=subject_id, area_code=area_code,
                       changes=changes, reason=reason, user_id=user.id if user is not None else None)
    db.session.add(entry)
    return entry
