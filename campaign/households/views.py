from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from campaign.accounts.access import managers_required
from campaign.areas.access import area_for_form, get_area_or_404
from campaign.areas.models import Area, AreaLevel
from campaign.audit.services import record
from campaign.core.actions import press, save, status
from campaign.core.imports import import_page, template_download
from campaign.core.tabular import ImportReport
from campaign.core.text import clean
from campaign.extensions import db
from campaign.visits.models import Visit

from . import services
from .access import get_household_or_404, households_query
from .forms import HouseholdForm
from .importer import COLUMNS, import_households

bp = Blueprint("households", __name__, url_prefix="/households")


@bp.get("/")
@login_required
def index():
    code = request.args.get("area", "")
    area = get_area_or_404(code) if code else None
    search = clean(request.args.get("q", ""))[:50]
    page = db.paginate(households_query(area=area, search=search), per_page=50)
    return render_template("households/index.html", page=page, area=area, search=search)


@bp.get("/<int:household_id>")
@login_required
def show(household_id: int):
    household = get_household_or_404(household_id)
    visits = db.session.scalars(sa.select(Visit).where(Visit.household_id == household.id)
                                .order_by(Visit.visited_at.desc())).all()
    if household.phone or household.head_name:
        # Personal data shown unmasked: who looked, and when, goes into the audit log.
        record(action="view", subject="household", subject_id=household.id, area_code=household.grid.code,
               changes={})
        db.session.commit()
    return render_template("households/show.html", household=household, visits=visits)


def _grid_in_scope(code: str) -> Area:
    return area_for_form(code, levels=[AreaLevel.GRID], field="grid_code")


def _fields(form: HouseholdForm) -> services.HouseholdFields:
    return services.check_fields(
        door_label=form.door_label.data, head_name=form.head_name.data, phone=form.phone.data,
        members=form.members.data, elderly_alone=form.elderly_alone.data, at_risk=form.at_risk.data,
        lat=form.lat.data, lon=form.lon.data)


@bp.route("/new", methods=["GET", "POST"])
@managers_required
def new():
    form = HouseholdForm()
    if request.method == "GET":
        form.grid_code.data = request.args.get("grid", "")
    if form.validate_on_submit():
        saved = save(form, lambda: services.create_household(grid=_grid_in_scope(form.grid_code.data),
                                                             fields=_fields(form)))
        if saved.ok:
            flash(_("Household %(door)s added.", door=saved.value.door_label), "success")
            return redirect(url_for("households.show", household_id=saved.value.id))
    return render_template("households/form.html", form=form, household=None), status(form)


@bp.route("/<int:household_id>/edit", methods=["GET", "POST"])
@managers_required
def edit(household_id: int):
    household = get_household_or_404(household_id)
    form = HouseholdForm(obj=household)
    if request.method == "GET":
        form.grid_code.data = household.grid.code
    if form.validate_on_submit():
        saved = save(form, lambda: services.update_household(
            household, grid=_grid_in_scope(form.grid_code.data), fields=_fields(form)))
        if saved.ok:
            flash(_("Household saved."), "success")
            return redirect(url_for("households.show", household_id=household.id))
    return render_template("households/form.html", form=form, household=household), status(form)


@bp.post("/<int:household_id>/delete")
@managers_required
def delete(household_id: int):
    household = get_household_or_404(household_id)
    grid_code = household.grid.code
    if press(lambda: services.delete_household(household), done=_("Household deleted.")):
        return redirect(url_for("households.index", area=grid_code))
    return redirect(url_for("households.show", household_id=household_id))


def _import_roster(data: bytes, *, user) -> ImportReport:
    return import_households(data, scope_codes=user.scope_codes())


@bp.route("/import", methods=["GET", "POST"])
@managers_required
def import_file():
    templates = [("Excel (.xlsx)", url_for("households.import_template", fmt="xlsx")),
                 ("CSV", url_for("households.import_template", fmt="csv"))]
    return import_page(importer=_import_roster, title=_("Import household roster"),
                       done=lambda n: _("%(n)s households imported.", n=n), after=url_for("households.index"),
                       templates=templates)


@bp.get("/import/template.<fmt>")
@login_required
def import_template(fmt: str):
    return template_download(COLUMNS, sheet="住户名册", name="households", fmt=fmt)
