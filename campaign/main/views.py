from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from campaign.core.clock import local_today
from campaign.core.types import utcnow
from campaign.core.urls import safe_next
from campaign.extensions import db

from . import dashboard

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def index():
    """The home page: a grid worker's round and warnings, or an official's and a county office's figures."""
    today = local_today()
    if current_user.is_worker:
        return render_template("main/index.html", home=dashboard.worker_home(current_user, today=today), now=utcnow())
    roots = current_user.scope_roots()
    board = dashboard.board(roots[0], user=current_user, today=today) if roots else None
    return render_template("main/index.html", board=board, now=utcnow())


@bp.get("/home/trend")
@login_required
def trend():
    """The coverage trend's card, which the home page fetches while the days of a large area are counted."""
    roots = [] if current_user.is_worker else current_user.scope_roots()
    if not roots:
        abort(404)
    card = dashboard.trend_board(roots[0], today=local_today())
    if card is None:
        abort(404)
    return render_template("main/_trend.html", card=card)


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
