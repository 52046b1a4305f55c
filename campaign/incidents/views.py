from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from campaign.accounts.access import managers_required
from campaign.areas.access import get_area_or_404
from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within_any
from campaign.core.actions import import_upload, save, status
from campaign.core.errors import DomainError
from campaign.core.forms import EmptyForm, UploadForm
from campaign.core.period import period_from_args
from campaign.core.tabular import template_xlsx
from campaign.core.text import clean
from campaign.extensions import db

from . import services
from .access import get_incident_or_404, incidents_query
from .forms import IncidentForm
from .importer import COLUMNS, import_incidents
from .zero import zero_report

bp = Blueprint("incidents", __name__, url_prefix="/incidents")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _area_from_args() -> Area:
    code = request.args.get("area") or current_user.scope_codes()[0]
    return get_area_or_404(code)


@bp.get("/")
@managers_required
def index():
    area = _area_from_args()
    page = db.paginate(incidents_query(area=area), per_page=50)
    return render_template("incidents/index.html", page=page, area=area)


def _village_in_scope(code: str) -> Area:
    village = db.session.scalar(sa.select(Area).where(
        Area.code == clean(code), Area.level == AreaLevel.VILLAGE, within_any(Area.code, current_user.scope_codes())))
    if village is None:
        raise DomainError(_("Unknown village code %(code)s.", code=code), field="village_code")
    return village


def _fields(form: IncidentForm) -> services.IncidentFields:
    return services.check_fields(occurred_on=form.occurred_on.data, fraud_type=form.fraud_type.data,
                                 loss=form.loss.data, recovered=form.recovered.data, case_ref=form.case_ref.data or "",
                                 description=form.description.data or "")


@bp.route("/new", methods=["GET", "POST"])
@managers_required
def new():
    form = IncidentForm()
    if request.method == "GET":
        form.village_code.data = request.args.get("village", "")
    if form.validate_on_submit():
        saved = save(form, lambda: services.create_incident(
            village=_village_in_scope(form.village_code.data), fields=_fields(form), user=current_user))
        if saved.ok:
            flash(_("Incident recorded."), "success")
            return redirect(url_for("incidents.index"))
    return render_template("incidents/form.html", form=form, incident=None), status(form)


@bp.route("/<int:incident_id>/edit", methods=["GET", "POST"])
@managers_required
def edit(incident_id: int):
    incident = get_incident_or_404(incident_id)
    form = IncidentForm(obj=incident)
    if request.method == "GET":
        form.village_code.data = incident.village.code
    if form.validate_on_submit():
        saved = save(form, lambda: services.update_incident(
            incident, village=_village_in_scope(form.village_code.data), fields=_fields(form), user=current_user))
        if saved.ok:
            flash(_("Incident saved."), "success")
            return redirect(url_for("incidents.index"))
    return render_template("incidents/form.html", form=form, incident=incident), status(form)


@bp.post("/<int:incident_id>/delete")
@managers_required
def delete(incident_id: int):
    incident = get_incident_or_404(incident_id)
    form = EmptyForm()
    if form.validate_on_submit() and save(form, lambda: services.delete_incident(incident, user=current_user)).ok:
        flash(_("Incident deleted."), "success")
    return redirect(url_for("incidents.index"))


@bp.route("/import", methods=["GET", "POST"])
@managers_required
def import_file():
    form = UploadForm()
    report = None
    if form.validate_on_submit():
        report = import_upload(form, lambda data: import_incidents(
            data, scope_codes=current_user.scope_codes(), user=current_user))
        if report and report.ok:
            flash(_("%(n)s incidents imported.", n=report.rows), "success")
            return redirect(url_for("incidents.index"))
    return render_template("import_page.html", form=form, report=report, title=_("Import incidents"),
                           template_url=url_for("incidents.import_template")), status(form, report)


@bp.get("/import/template.xlsx")
@managers_required
def import_template():
    return template_xlsx(COLUMNS, "涉诈案件"), {
        "Content-Type": XLSX, "Content-Disposition": "attachment; filename=incidents-template.xlsx"}


@bp.get("/zero")
@managers_required
def zero():
    """Zero-incident villages and townships of an area over a period, against a year earlier."""
    area = _area_from_args()
    form, ok = period_from_args()
    report = zero_report(area, form.start.data, form.end.data) if ok else None
    return render_template("incidents/zero.html", form=form, area=area, report=report), 200 if ok else 400
