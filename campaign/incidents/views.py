from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from campaign.accounts.access import managers_required
from campaign.areas.access import area_for_form, get_area_or_404
from campaign.areas.models import Area, AreaLevel
from campaign.core.actions import press, save, status
from campaign.core.exports import xlsx_response
from campaign.core.imports import add_import_routes
from campaign.core.inputs import parse_moment
from campaign.core.period import period_from_args
from campaign.creation.services import flagged_by
from campaign.extensions import db

from . import exports, services
from .access import get_incident_or_404, incidents_query, may_change
from .forms import IncidentForm
from .importer import COLUMNS, plan_incidents
from .models import Incident, IncidentKind
from .zero import zero_report

bp = Blueprint("incidents", __name__, url_prefix="/incidents")


def _area_from_args() -> Area:
    code = request.args.get("area") or current_user.scope_codes()[0]
    return get_area_or_404(code)


@bp.get("/")
@managers_required
def index():
    area = _area_from_args()
    query, filters = _filtered(incidents_query(area=area))
    page = db.paginate(query, per_page=50)
    return render_template("incidents/index.html", page=page, area=area, may_change=may_change, filters=filters)


def _filtered(query):
    """The kind (``kind=case``) and the days (``start``, ``end``, YYYY-MM-DD) the home page's figures link to;
    a value that is not one filters nothing."""
    filters = {}
    if request.args.get("kind") in set(IncidentKind):
        filters["kind"] = request.args["kind"]
        query = query.where(Incident.kind == filters["kind"])
    for name, compare in (("start", Incident.occurred_on.__ge__), ("end", Incident.occurred_on.__le__)):
        moment = parse_moment(request.args.get(name, ""))
        if moment is not None:
            filters[name] = moment.date().isoformat()
            query = query.where(compare(moment.date()))
    return query, filters


@bp.get("/export.xlsx")
@managers_required
def export():
    area = _area_from_args()
    return xlsx_response(f"{exports.TITLE}-{area.name}.xlsx", [exports.incidents_sheet(incidents_query(area=area))])


def _village_in_scope(code: str) -> Area:
    return area_for_form(code, levels=[AreaLevel.VILLAGE], field="village_code")


def _fields(form: IncidentForm) -> services.IncidentFields:
    return services.check_fields(occurred_on=form.occurred_on.data, fraud_type=form.fraud_type.data,
                                 loss=form.loss.data, recovered=form.recovered.data, case_ref=form.case_ref.data or "",
                                 description=form.description.data or "", kind=form.kind.data,
                                 target_id=form.target_id.data)


def _say_flagged(incident: Incident) -> None:
    """Name each certified target the incident lies in: it now waits for review (复核)."""
    for target in flagged_by(incident):
        flash(_("“%(name)s” is certified: it is now flagged for review (复核).", name=target.name), "warning")


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
            _say_flagged(saved.value)
            return redirect(url_for("incidents.index"))
    return render_template("incidents/form.html", form=form, incident=None), status(form)


@bp.route("/<int:incident_id>/edit", methods=["GET", "POST"])
@managers_required
def edit(incident_id: int):
    incident = get_incident_or_404(incident_id, change=True)
    form = IncidentForm(obj=incident)
    if request.method == "GET":
        form.village_code.data = incident.village.code
    if form.validate_on_submit():
        saved = save(form, lambda: services.update_incident(
            incident, village=_village_in_scope(form.village_code.data), fields=_fields(form), user=current_user))
        if saved.ok:
            flash(_("Incident saved."), "success")
            _say_flagged(incident)
            return redirect(url_for("incidents.index"))
    return render_template("incidents/form.html", form=form, incident=incident), status(form)


@bp.post("/<int:incident_id>/delete")
@managers_required
def delete(incident_id: int):
    incident = get_incident_or_404(incident_id, change=True)
    press(lambda: services.delete_incident(incident, user=current_user), done=_("Incident deleted."))
    return redirect(url_for("incidents.index"))


add_import_routes(bp, guard=managers_required, importer=plan_incidents, columns=COLUMNS, sheet="涉诈案件",
                  title=_l("Import incidents"), done=lambda n: _("%(n)s incidents imported.", n=n),
                  after="incidents.index")


@bp.get("/zero")
@managers_required
def zero():
    """Zero-incident villages and townships of an area over a period, against a year earlier."""
    area = _area_from_args()
    form, ok = period_from_args()
    report = zero_report(area, form.start.data, form.end.data) if ok else None
    return render_template("incidents/zero.html", form=form, area=area, report=report), 200 if ok else 400
