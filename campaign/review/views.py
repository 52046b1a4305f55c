"""Reviewing visits (审核): an official's review of one visit or of the visits ticked in the visits
table, and a grid worker's list of their visits that were questioned or rejected."""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from campaign.accounts.access import managers_required, roles_required
from campaign.accounts.models import Role
from campaign.core.actions import save, status
from campaign.core.caching import no_store
from campaign.core.inputs import parse_id
from campaign.extensions import db
from campaign.households.models import Household
from campaign.visits.access import visits_query
from campaign.visits.models import Visit

from . import services
from .forms import ReviewForm

bp = Blueprint("review", __name__, url_prefix="/review")


def _back(form: ReviewForm) -> str:
    """Where to return: the visits table as it was shown (a local path only), else the table."""
    target = form.back.data or ""
    return target if target.startswith("/visits/table") and "//" not in target else url_for("visit_table.index")


def get_visit_or_404(visit_id: int) -> Visit:
    return db.first_or_404(visits_query(current_user).where(Visit.id == visit_id).options(
        so.joinedload(Visit.household).joinedload(Household.grid), so.joinedload(Visit.worker),
        so.joinedload(Visit.reviewed_by)))


@bp.route("/visits/<int:visit_id>", methods=["GET", "POST"])
@managers_required
@no_store
def visit(visit_id: int):
    """One visit with its signals and its review form."""
    found = get_visit_or_404(visit_id)
    form = ReviewForm(data=None if request.method == "POST" else
                      {"state": found.review_state, "note": found.review_note, "back": request.args.get("back")})
    if form.validate_on_submit():
        saved = save(form, lambda: services.review_visits(visit_ids=[found.id], state=form.state.data,
                                                          note=form.note.data, user=current_user))
        if saved.ok:
            flash(_("Review saved: %(state)s.", state=form.state.data.label), "success")
            return redirect(_back(form))
    return render_template("review/visit.html", visit=found, form=form), status(form)


@bp.post("/visits")
@managers_required
def bulk():
    """The visits ticked in the table, all given one state and comment. A visit outside the user's
    area is a 404 and nothing changes."""
    form = ReviewForm()
    ids = [parse_id(value) for value in request.form.getlist("visit")]
    if any(i is None for i in ids):
        abort(400)
    wanted = set(ids)
    if wanted:
        inside = set(db.session.scalars(visits_query(current_user).with_only_columns(Visit.id)
                                        .where(Visit.id.in_(wanted))))
        if inside != wanted:
            abort(404)
    if not form.validate_on_submit() or not wanted:
        for message in [*form.state.errors, *form.note.errors] or [_("Tick the visits to review.")]:
            flash(message, "danger")
        return redirect(_back(form))
    saved = save(form, lambda: services.review_visits(visit_ids=sorted(wanted), state=form.state.data,
                                                      note=form.note.data, user=current_user))
    if saved.ok:
        flash(ngettext("%(num)s visit reviewed: %(state)s.", "%(num)s visits reviewed: %(state)s.", len(wanted),
                       state=form.state.data.label), "success")
    else:
        for message in [*form.note.errors, *form.form_errors]:
            flash(message, "danger")
    return redirect(_back(form))


@bp.get("/mine")
@roles_required(Role.WORKER)
@no_store
def mine():
    """A grid worker's visits that a reviewer questioned or rejected, and why."""
    visits = db.session.scalars(services.questioned_visits(current_user).options(
        so.joinedload(Visit.household), so.joinedload(Visit.round)).limit(200)).all()
    return render_template("review/mine.html", visits=visits)


def questioned_count(worker) -> int:
    return db.session.scalar(services.questioned_visits(worker).order_by(None)
                             .with_only_columns(sa.func.count()))
