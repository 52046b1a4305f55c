"""A warning's phone (个人信息保护): encrypted at rest, masked in lists, shown in full on the warning's
page to the assigned worker and to officials, every such showing audited. Services flush, never commit."""
from __future__ import annotations

import sqlalchemy as sa
from flask import has_request_context, request

from campaign.audit.services import record
from campaign.extensions import db

from .models import FraudWarning


def _from_where() -> str:
    return (request.remote_addr or "") if has_request_context() else "command line"


def audit_phone_view(warning: FraudWarning, *, via: str = "warning page") -> None:
    """Record that the warning's phone was shown in full (nothing to record when it has none)."""
    if not warning.phone:
        return
    record(action="view", subject="warning", subject_id=warning.id, area_code=warning.area.code,
           changes={"shown": [None, "phone"], "via": [None, via], "address": [None, _from_where()]})


def audit_export(query: sa.Select, *, area_code: str | None, fmt: str = "xlsx") -> None:
    """An export keeps whole phones (a re-import matches on them): record how many it holds."""
    listed = query.order_by(None).subquery()
    with_phone = db.session.scalar(sa.select(sa.func.count()).select_from(listed).where(listed.c.phone.is_not(None)))
    if not with_phone:
        return
    record(action="export", subject="warning", subject_id=0, area_code=area_code,
           changes={"shown": [None, "phone"], "rows": [None, with_phone], "via": [None, f"warnings {fmt}"],
                    "address": [None, _from_where()]})
