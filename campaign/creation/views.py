from __future__ import annotations

from functools import partial

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from campaign.accounts.access import county_required, managers_required
from campaign.areas.access import area_for_form, get_area_or_404
from campaign.areas.models import Area, AreaLevel
from campaign.audit.models import AuditEntry
from campaign.core.actions import press, save, status
from campaign.core.clock import local_today
from campaign.core.exports import xlsx_response
from campaign.core.imports import add_import_routes
from campaign.extensions import db

from . import certificates, exports, services
from .access import certificates_query, get_target_or_404, targets_query
from .criteria import criteria_for, evaluate
from .forms import CriteriaForm, TargetFilterForm, TargetForm, TransitionForm
from .importer import COLUMNS, plan_targets
from .models import Certificate, CreationCriteria, CreationTarget, TargetKind, TargetStatus
from .pdf import certificates_pdf

bp = Blueprint("creation", __name__, url_prefix="/creation")
PDF = "application/pdf"


def _area_from_args() -> Area:
    return get_area_or_404(request.args.get("area") or current_user.scope_codes()[0])


@bp.get("/")
@managers_required
def index():
    area = _area_from_args()
    filters = TargetFilterForm(request.args)
    query = targets_query(area=area)
    counts = dict(db.session.execute(
        query.with_only_columns(CreationTarget.status, sa.func.count()).group_by(CreationTarget.status)).all())
    review = db.session.scalar(query.with_only_columns(sa.func.count()).where(
        CreationTarget.review_flagged_at.is_not(None)))
    page = db.paginate(_filtered(query, filters), per_page=50)
    return render_template("creation/index.html", page=page, area=area, filters=filters, counts=counts,
                           review=review, statuses=list(TargetStatus))


def _filtered(query: sa.Select, filters: TargetFilterForm) -> sa.Select:
    """The list's filters (kind, status, waiting for review) and its order: those to review first."""
    if filters.kind.data in set(TargetKind):  # an unknown value in the address filters nothing
        query = query.where(CreationTarget.kind == filters.kind.data)
    if filters.status.data in set(TargetStatus):
        query = query.where(CreationTarget.status == filters.status.data)
    if request.args.get("review"):
        query = query.where(CreationTarget.review_flagged_at.is_not(None))
    return query.order_by(CreationTarget.review_flagged_at.is_(None), Area.code, CreationTarget.name)


@bp.get("/export.xlsx")
@managers_required
def export():
    area = _area_from_args()
    query = _filtered(targets_query(area=area), TargetFilterForm(request.args))
    return xlsx_response(f"{exports.TITLE}-{area.name}.xlsx", [exports.targets_sheet(query)])


def _fields(form: TargetForm, area: Area) -> services.TargetFields:
    return services.check_fields(kind=form.kind.data, name=form.name.data or "", area=area,
                                 contact_name=form.contact_name.data or "",
                                 contact_phone=form.contact_phone.data or "", headcount=form.headcount.data)


def _area(form: TargetForm) -> Area:
    return area_for_form(form.area_code.data, levels=[AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE])


@bp.route("/new", methods=["GET", "POST"])
@managers_required
def new():
    form = TargetForm()
    if request.method == "GET":
        form.area_code.data = request.args.get("area", "")
        form.kind.data = TargetKind(request.args.get("kind", "community")) \
            if request.args.get("kind") in set(TargetKind) else TargetKind.COMMUNITY
    if form.validate_on_submit():
        def create():
            area = _area(form)
            return services.create_target(area=area, fields=_fields(form, area), user=current_user)
        saved = save(form, create)
        if saved.ok:
            flash(_("Target registered."), "success")
            return redirect(url_for("creation.show", target_id=saved.value.id))
    return render_template("creation/form.html", form=form, target=None), status(form)


def _show(target: CreationTarget, form: TransitionForm, failed: str | None = None):
    history = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.subject == "creation_target", AuditEntry.subject_id == target.id)
        .order_by(AuditEntry.id.desc()).limit(50)).all()
    return render_template(
        "creation/show.html", target=target, evaluation=evaluate(target), history=history, form=form, failed=failed,
        actions=services.available_actions(target, current_user), labels=services.HISTORY_LABELS,
        reason_required=services.REASON_REQUIRED,
        status_label=lambda value: TargetStatus(value).label)


@bp.get("/<int:target_id>")
@managers_required
def show(target_id: int):
    return _show(get_target_or_404(target_id), TransitionForm())


@bp.route("/<int:target_id>/edit", methods=["GET", "POST"])
@managers_required
def edit(target_id: int):
    target = get_target_or_404(target_id)
    form = TargetForm(obj=target)
    if request.method == "GET":
        form.area_code.data = target.area.code
    if form.validate_on_submit():
        def update():
            area = _area(form)
            return services.update_target(target, area=area, fields=_fields(form, area), user=current_user)
        if save(form, update).ok:
            flash(_("Target saved."), "success")
            return redirect(url_for("creation.show", target_id=target.id))
    return render_template("creation/form.html", form=form, target=target), status(form)


@bp.post("/<int:target_id>/delete")
@managers_required
def delete(target_id: int):
    target = get_target_or_404(target_id)
    if press(lambda: services.delete_target(target, user=current_user), done=_("Target deleted.")):
        return redirect(url_for("creation.index"))
    return redirect(url_for("creation.show", target_id=target.id))


@bp.post("/<int:target_id>/act/<action>")
@managers_required
def act(target_id: int, action: str):
    target = get_target_or_404(target_id)
    if action not in services.TRANSITIONS:
        abort(404)
    if services.TRANSITIONS[action].county_only and not current_user.is_county:
        abort(403)
    form = TransitionForm()
    if form.validate_on_submit():
        saved = save(form, lambda: services.transition(target, action, user=current_user, reason=form.reason.data,
                                                       override_reason=form.override_reason.data))
        if saved.ok:
            flash(_("%(action)s: done.", action=services.TRANSITIONS[action].label), "success")
            return redirect(url_for("creation.show", target_id=target.id))
    return _show(target, form, failed=action), 400


def verify_url(certificate: Certificate) -> str:
    code = certificates.verify_code(certificate)
    base = current_app.config.get("PUBLIC_URL")
    if base:
        return f"{base.rstrip('/')}{url_for('verify.certificate', code=code)}"
    return url_for("verify.certificate", code=code, _external=True)


def _pdf_response(data: bytes, filename: str):
    return data, {"Content-Type": PDF, "Content-Disposition": f"inline; filename={filename}"}


@bp.get("/<int:target_id>/certificate.pdf")
@managers_required
def certificate_pdf(target_id: int):
    target = get_target_or_404(target_id)
    if target.certificate is None:
        abort(404)
    return _pdf_response(certificates_pdf([target.certificate], verify_url), f"{target.certificate.serial}.pdf")


@bp.get("/certificates.pdf")
@county_required
def township_pdf():
    """Every valid certificate of a township (or any area), one page each, for printing at once."""
    area = _area_from_args()
    today = local_today()
    found = db.session.scalars(certificates_query(area=area).where(
        Certificate.revoked_on.is_(None), Certificate.valid_until >= today)
        .order_by(Certificate.county_code, Certificate.year, Certificate.seq)).all()
    if not found:
        flash(_("%(area)s has no valid certificate to print.", area=area.name), "warning")
        return redirect(url_for("creation.index", area=area.code))
    return _pdf_response(certificates_pdf(found, verify_url), f"certificates-{area.code}.pdf")


@bp.route("/criteria", methods=["GET", "POST"])
@county_required
def criteria():
    """Every kind's criteria and the issuer in one form with one save: nothing is lost to another card's button."""
    area = current_user.area
    current = {kind.value: criteria_for(area, kind) for kind in TargetKind}
    form = CriteriaForm(data={"issuer": certificates.issuer_for(area),
                              **{kind: {name: getattr(found, name) for name in CreationCriteria.FIELDS}
                                 for kind, found in current.items()}})
    if form.validate_on_submit():
        operation = partial(services.set_all_criteria, area, {kind: sub.data for kind, sub in form.kinds()},
                            issuer=form.issuer.data, user=current_user)
        if save(form, operation).ok:
            flash(_("Criteria saved."), "success")
            return redirect(url_for("creation.criteria"))
    return render_template("creation/criteria.html", form=form, area=area), status(form)


add_import_routes(bp, guard=managers_required, importer=plan_targets, columns=COLUMNS, sheet="创建对象",
                  title=_l("Import creation targets"), done=lambda n: _("%(n)s targets imported.", n=n),
                  after="creation.index")

