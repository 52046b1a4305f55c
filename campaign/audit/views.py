from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_login import current_user

from campaign.accounts.access import county_required
from campaign.areas.scope import within_any
from campaign.extensions import db

from .models import AuditEntry

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@county_required
def index():
    query = (sa.select(AuditEntry).where(within_any(AuditEntry.area_code, current_user.scope_codes()))
             .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))
    subject = request.args.get("subject", "")
    if subject:
        query = query.where(AuditEntry.subject == subject)
    page = db.paginate(query, per_page=50)
    return render_template("audit/index.html", page=page, subject=subject)
