from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from campaign.accounts.access import county_required
from campaign.core.actions import press, save, status
from campaign.core.clock import local_today
from campaign.extensions import db

from . import services
from .access import get_round_or_404, rounds_query
from .forms import RoundForm

bp = Blueprint("rounds", __name__, url_prefix="/rounds")


@bp.get("/")
@login_required
def index():
    rounds = db.session.scalars(rounds_query()).all()
    return render_template("rounds/index.html", rounds=rounds, today=local_today())


@bp.route("/new", methods=["GET", "POST"])
@county_required
def new():
    form = RoundForm()
    if form.validate_on_submit():
        saved = save(form, lambda: services.create_round(
            area=current_user.area, name=form.name.data, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
            created_by=current_user))
        if saved.ok:
            flash(_("Round %(name)s created.", name=saved.value.name), "success")
            return redirect(url_for("rounds.index"))
    return render_template("rounds/form.html", form=form, round=None), status(form)


@bp.route("/<int:round_id>/edit", methods=["GET", "POST"])
@county_required
def edit(round_id: int):
    round_ = get_round_or_404(round_id, owned=True)
    form = RoundForm(obj=round_)
    if form.validate_on_submit():
        saved = save(form, lambda: services.update_round(
            round_, name=form.name.data, starts_on=form.starts_on.data, ends_on=form.ends_on.data))
        if saved.ok:
            flash(_("Round %(name)s saved.", name=round_.name), "success")
            return redirect(url_for("rounds.index"))
    return render_template("rounds/form.html", form=form, round=round_), status(form)


@bp.post("/<int:round_id>/delete")
@county_required
def delete(round_id: int):
    round_ = get_round_or_404(round_id, owned=True)
    press(lambda: services.delete_round(round_), done=_("Round deleted."))
    return redirect(url_for("rounds.index"))
