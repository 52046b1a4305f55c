from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from campaign.areas.services import child_counts
from campaign.core.types import utcnow
from campaign.core.urls import safe_next
from campaign.coverage.services import area_figures
from campaign.creation.access import targets_query
from campaign.creation.models import CreationTarget
from campaign.extensions import db
from campaign.rounds.services import current_round
from campaign.warnings.access import warnings_query
from campaign.warnings.models import FraudWarning

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def index():
    roots = current_user.scope_roots()
    counts = child_counts([a.id for a in roots])
    round_ = current_round(roots[0].code) if roots else None
    figures = {a.id: area_figures(round_.id, a) for a in roots} if round_ else {}
    open_warnings = db.session.scalars(
        warnings_query().where(FraudWarning.closed_at.is_(None)).limit(20)).all()
    to_review = [] if current_user.is_worker else db.session.scalars(targets_query().where(
        CreationTarget.review_flagged_at.is_not(None)).order_by(CreationTarget.review_flagged_at).limit(20)).all()
    return render_template("main/index.html", roots=roots, counts=counts, round=round_, figures=figures,
                           open_warnings=open_warnings, to_review=to_review, now=utcnow())


@bp.post("/lang/<code>")
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["locale"] = code
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"))


@bp.get("/healthz")
def healthz():
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}
