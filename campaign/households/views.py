from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from campaign.accounts.access import managers_required
from campaign.areas.access import area_for_form, get_area_or_404
from campaign.areas.models import Area, AreaLevel
from campaign.core.actions import press, save, status
from campaign.core.caching import no_store
from campaign.core.exports import xlsx_response
from campaign.core.forms import EmptyForm
from campaign.core.imports import glossary, import_page, template_download
from campaign.core.tabular import ImportReport
from campaign.core.text import clean_text
from campaign.extensions import db, limiter
from campaign.visits.models import Visit

from . import privacy, services
from .access import get_household_or_404, households_query
from .exports import access_sheets
from .forms import EraseForm, HouseholdForm
from .importer import COLUMNS, plan_households

bp = Blueprint("households", __name__, url_prefix="/households")


def _searcher_key() -> str:
    return f"user:{current_user.id}"


def _phone_search_limit() -> str:
    return current_app.config.get("PHONE_SEARCH_LIMIT", "30 per hour")


@bp.errorhandler(429)
def too_many_searches(error):
    return render_template("households/too_many.html"), 429


@bp.get("/")
@login_required
@no_store
def index():
    code = request.args.get("area", "")
    area = get_area_or_404(code) if code else None
    search = privacy.parse_search(request.args.get("q", ""))
    if search.is_phone:
        # Per person, not per address: one official behind a county NAT must not block the others.
        with limiter.limit(_phone_search_limit, key_func=_searcher_key, scope="phone-search"):
            page = db.paginate(households_query(area=area, search=search), per_page=50)
        scope = current_user.scope_codes()
        privacy.audit_phone_search(search, area_code=area.code if area else (scope[0] if scope else None),
                                   found=[h.id for h in page.items])
        db.session.commit()
    else:
        page = db.paginate(households_query(area=area, search=search), per_page=50)
    return render_template("households/index.html", page=page, area=area, search=search,
                           query=clean_text(request.args.get("q", ""))[:50])


@bp.get("/<int:household_id>")
@login_required
@no_store
def show(household_id: int):
    """Masked, like the lists; the full name and phone are one audited press away."""
    return _show(get_household_or_404(household_id), revealed=False)


@bp.post("/<int:household_id>/reveal")
@login_required
@no_store
def reveal(household_id: int):
    household = get_household_or_404(household_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    privacy.audit_view(household, via="household page")
    db.session.commit()
    return _show(household, revealed=True)


def _show(household, *, revealed: bool):
    visits = db.session.scalars(sa.select(Visit).where(Visit.household_id == household.id)
                                .order_by(Visit.visited_at.desc())).all()
    return render_template("households/show.html", household=household, visits=visits, revealed=revealed)


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
@no_store
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
    if request.method == "GET":  # the form shows the stored name and phone in full
        privacy.audit_view(household, via="edit page")
        db.session.commit()
    return render_template("households/form.html", form=form, household=household), status(form)


@bp.get("/<int:household_id>/access.<any(json, xlsx):fmt>")
@managers_required
@no_store
def access_export(household_id: int, fmt: str):
    """The right of access (查阅复制权): everything held about one household, as a file."""
    household = get_household_or_404(household_id)
    report = privacy.access_report(household)
    privacy.audit_export(household, fmt=fmt)
    db.session.commit()
    name = f"household-{household.id}"
    if fmt == "xlsx":
        return xlsx_response(f"{name}.xlsx", access_sheets(report))
    body = json.dumps(report, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}.json"'})


@bp.route("/<int:household_id>/erase", methods=["GET", "POST"])
@managers_required
@no_store
def erase(household_id: int):
    """Erasure at the household's request (删除权): a reason and a confirmation, then no way back."""
    household = get_household_or_404(household_id)
    form = EraseForm()
    if form.validate_on_submit():
        saved = save(form, lambda: privacy.erase_personal_data(household, reason=form.reason.data))
        if saved.ok:
            flash(_("The household's personal data has been erased."), "success")
            return redirect(url_for("households.show", household_id=household.id))
    return render_template("households/erase.html", form=form, household=household), status(form)


@bp.post("/<int:household_id>/delete")
@managers_required
def delete(household_id: int):
    household = get_household_or_404(household_id)
    grid_code = household.grid.code
    if press(lambda: services.delete_household(household), done=_("Household deleted.")):
        return redirect(url_for("households.index", area=grid_code))
    return redirect(url_for("households.show", household_id=household_id))


def _import_roster(data: bytes, *, user, **options) -> ImportReport:
    return plan_households(data, scope_codes=user.scope_codes(), **options)


@bp.route("/import", methods=["GET", "POST"])
@managers_required
def import_file():
    templates = [("Excel (.xlsx)", url_for("households.import_template", fmt="xlsx")),
                 ("CSV", url_for("households.import_template", fmt="csv"))]
    return import_page(importer=_import_roster, title=_("Import household roster"),
                       done=lambda n: _("%(n)s households imported.", n=n), after=url_for("households.index"),
                       templates=templates, glossary=glossary(COLUMNS))


@bp.get("/import/template.<fmt>")
@login_required
def import_template(fmt: str):
    return template_download(COLUMNS, sheet="住户名册", name="households", fmt=fmt)
