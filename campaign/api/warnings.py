"""Warnings (预警劝阻) on the grid worker's phone: the worker's warnings to work, and the attempts and
closings the phone sends back, checked item by item like visits."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app, jsonify, request
from flask_login import current_user
from pydantic import ValidationError
from sqlalchemy.orm import joinedload, selectinload

from campaign.accounts.models import Role
from campaign.audit.models import AuditEntry
from campaign.core.caching import no_store
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.visits.schemas import explain
from campaign.warnings import matching, privacy
from campaign.warnings.access import warnings_query
from campaign.warnings.models import FraudWarning
from campaign.warnings.schemas import ActionBatchIn
from campaign.warnings.services import record_actions

from .views import ApiError, bp

RECENTLY_CLOSED = timedelta(hours=24)
VIA = "phone"


def _worker_only() -> None:
    if current_user.role is not Role.WORKER:
        raise ApiError(403, "only grid workers work warnings on the phone")


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def _audit_first_showing(warnings: list[FraudWarning]) -> bool:
    """Audit the whole phone shown to this worker once per warning, not on every poll of the phone."""
    with_phone = {w.id: w for w in warnings if w.phone and w.is_open}
    if not with_phone:
        return False
    shown = {subject_id for subject_id, changes in db.session.execute(
        sa.select(AuditEntry.subject_id, AuditEntry.changes).where(
            AuditEntry.subject == "warning", AuditEntry.subject_id.in_(list(with_phone)), AuditEntry.action == "view",
            AuditEntry.user_id == current_user.id))
        if (changes or {}).get("via", [None, None])[1] == VIA}
    for warning_id in sorted(set(with_phone) - shown):
        privacy.audit_phone_view(with_phone[warning_id], via=VIA)
    return bool(set(with_phone) - shown)


def _as_json(warning: FraudWarning, household) -> dict:
    return {
        "id": warning.id, "reference": warning.reference, "level": warning.level.value,
        "level_label": warning.level.label, "resident": warning.resident,
        "phone": warning.phone if warning.is_open else None,  # to call; a closed warning needs no call
        "received_at": _iso(warning.received_at), "deadline_at": _iso(warning.deadline_at),
        "first_face_at": _iso(warning.first_face_at), "closed_at": _iso(warning.closed_at),
        "outcome": warning.outcome.value if warning.outcome else None, "area_name": warning.area.name,
        "household": matching.household_view(household) if household is not None else None,
        "attempts": [{"uuid": a.uuid, "at": _iso(a.at), "kind": a.kind.value, "result": a.result}
                     for a in warning.attempts],
    }


@bp.get("/warnings")
@no_store
def warnings():
    """Open warnings assigned to the worker and those closed in the last 24 hours, soonest deadline first."""
    _worker_only()
    query = (warnings_query(current_user)
             .where(sa.or_(FraudWarning.closed_at.is_(None), FraudWarning.closed_at >= utcnow() - RECENTLY_CLOSED))
             .order_by(None).order_by(FraudWarning.deadline_at, FraudWarning.id)
             .options(joinedload(FraudWarning.area), selectinload(FraudWarning.attempts)))
    found = list(db.session.scalars(query).unique())
    households = matching.households_for(found, current_user)
    body = [_as_json(w, households.get(w.id)) for w in found]
    if _audit_first_showing(found):
        db.session.commit()
    return jsonify(warnings=body)


@bp.post("/warnings/actions")
def warning_actions():
    _worker_only()
    body = request.get_json(silent=True)
    if body is None:
        raise ApiError(400, "the body must be JSON (Content-Type: application/json)")
    try:
        batch = ActionBatchIn.model_validate(body)
    except ValidationError as error:
        raise ApiError(400, explain(error)) from None
    results = record_actions(worker=current_user, items=batch.actions)
    db.session.commit()
    summary = {s: sum(r.status == s for r in results) for s in ("created", "duplicate", "conflict", "rejected")}
    status = 400 if summary["rejected"] else 409 if summary["conflict"] else 200
    current_app.logger.info("warning actions from %s: %s", current_user.username, summary)
    return jsonify(results=[r.as_dict() for r in results], summary=summary), status
