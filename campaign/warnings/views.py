from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from campaign.accounts.access import county_required, managers_required
from campaign.accounts.models import Role, User, user_grid
from campaign.areas.access import area_for_form, get_area_or_404
from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within, within_any
from campaign.core.actions import save, status
from campaign.core.caching import no_store
from campaign.core.clock import from_local, zone
from campaign.core.errors import DomainError
from campaign.core.exports import xlsx_response
from campaign.core.imports import add_import_routes
from campaign.core.period import period_from_args
from campaign.core.types import utcnow
from campaign.extensions import db

from . import exports, matching, privacy, services
from .access import get_warning_or_404, warnings_query
from .figures import warning_figures
from .forms import AssignForm, AttemptForm, CloseForm, PolicyForm, WarningForm
from .importer import COLUMNS, plan_warnings
from .models import FraudWarning

bp = Blueprint("warnings", __name__, url_prefix="/warnings")


def _listed() -> tuple[str, sa.Select]:
    """Which warnings the list shows (``show``: open, closed or all) and the query for them."""
    show = request.args.get("show", "open")
    query = warnings_query()
    if show == "open":
        query = query.where(FraudWarning.closed_at.is_(None))
    elif show == "closed":
        query = query.where(FraudWarning.closed_at.is_not(None))
    elif show == "overdue":  # open, and not met face to face by the deadline (as FraudWarning.overdue)
        now = utcnow()
        query = query.where(FraudWarning.closed_at.is_(None), sa.or_(
            sa.and_(FraudWarning.first_face_at.is_(None), FraudWarning.deadline_at < now),
            FraudWarning.first_face_at > FraudWarning.deadline_at))
    return show, query


@bp.get("/")
@login_required
@no_store
def index():
    show, query = _listed()
    page = db.paginate(query, per_page=50)
    return render_template("warnings/index.html", page=page, show=show, now=utcnow())


@bp.get("/export.xlsx")
@login_required
@no_store
def export():
    _show, query = _listed()
    scope = current_user.scope_codes()
    privacy.audit_export(query, area_code=scope[0] if scope else None)
    db.session.commit()
    return xlsx_response(f"{exports.TITLE}.xlsx", [exports.warnings_sheet(query)])


def _area_in_scope(code: str) -> Area:
    return area_for_form(code, levels=[AreaLevel.VILLAGE, AreaLevel.GRID])


@bp.route("/new", methods=["GET", "POST"])
@managers_required
@no_store
def new():
    form = WarningForm()
    if form.validate_on_submit():
        saved = save(form, lambda: services.create_warning(
            area=_area_in_scope(form.area_code.data), resident=form.resident.data, level=form.level.data,
            received_at=from_local(form.received_at.data), source=form.source.data or "",
            phone=form.phone.data or "", target_id=form.target_id.data, user=current_user))
        if saved.ok:
            flash(_("Warning recorded. Assign it to a grid worker."), "success")
            return redirect(url_for("warnings.show", warning_id=saved.value.id))
    return render_template("warnings/form.html", form=form), status(form)


def _workers_for(warning) -> list[User]:
    return list(db.session.scalars(
        sa.select(User).join(user_grid, user_grid.c.user_id == User.id).join(Area, Area.id == user_grid.c.area_id)
        .where(User.role == Role.WORKER, User.active.is_(True), within(Area.code, warning.area.code[:9]),
               within_any(Area.code, current_user.scope_codes()) if not current_user.is_worker else sa.true())
        .distinct().order_by(User.display_name)))


def _forms(warning):
    assign = AssignForm(prefix="assign")
    workers = _workers_for(warning)
    grid = matching.home_grid(warning)
    default = matching.grid_worker(warning, [u.id for u in workers]) if workers else None
    assign.worker.choices = [(u.id, _worker_label(u, grid if default and u.id == default.id else None))
                             for u in workers]
    if assign.worker.data is None:  # a form sent keeps its choice; a fresh one offers the grid's own worker
        assign.worker.data = default.id if default else warning.assigned_to_id
    attempt = AttemptForm(prefix="attempt")
    if attempt.at.data is None:
        attempt.at.data = datetime.now(zone()).replace(tzinfo=None, second=0, microsecond=0)
    return assign, attempt, CloseForm(prefix="close")


def _worker_label(worker: User, grid: Area | None) -> str:
    label = f"{worker.display_name} ({worker.username})"
    return _("%(worker)s · worker of %(grid)s", worker=label, grid=grid.name) if grid else label


@bp.get("/<int:warning_id>")
@login_required
@no_store
def show(warning_id: int):
    """The phone in full, for the assigned worker to call (officials see it too): each showing audited."""
    warning = get_warning_or_404(warning_id)
    assign, attempt, close = _forms(warning)
    return _page(warning, assign=assign, attempt=attempt, close=close)


def _proposals(warning, assign) -> list[User]:
    """Workers of the grid the warning's phone was found in whom the viewer may assign (not the assignee)."""
    if current_user.is_worker:
        return []
    allowed = {worker_id for worker_id, _label in assign.worker.choices}
    return [w for w in matching.proposed_workers(warning) if w.id in allowed and w.id != warning.assigned_to_id]


def _page(warning, status_code: int = 200, **forms):
    privacy.audit_phone_view(warning)
    db.session.commit()
    return render_template("warnings/show.html", warning=warning, now=utcnow(),
                           proposals=_proposals(warning, forms["assign"]),
                           household=matching.households_for([warning], current_user).get(warning.id),
                           **forms), status_code


def _after(warning, form, operation, message):
    if form.validate_on_submit() and save(form, operation).ok:
        flash(message, "success")
        return redirect(url_for("warnings.show", warning_id=warning.id))
    assign, attempt, close = _forms(warning)
    forms = {"assign": assign, "attempt": attempt, "close": close}
    forms[form._prefix.rstrip("-")] = form
    return _page(warning, 400, **forms)


@bp.post("/<int:warning_id>/assign")
@managers_required
@no_store
def assign(warning_id: int):
    warning = get_warning_or_404(warning_id)
    form, _attempt, _close = _forms(warning)

    def run():
        worker = db.session.get(User, form.worker.data)
        if worker is None:
            raise DomainError(_("Choose a grid worker."), field="worker")
        return services.assign(warning, worker=worker, user=current_user)

    return _after(warning, form, run, _("Warning assigned."))


@bp.post("/<int:warning_id>/attempt")
@login_required
@no_store
def attempt(warning_id: int):
    warning = get_warning_or_404(warning_id)
    form = AttemptForm(prefix="attempt")
    return _after(warning, form, lambda: services.log_attempt(
        warning, at=from_local(form.at.data), kind=form.kind.data, result=form.result.data or "", user=current_user),
        _("Attempt logged."))


@bp.post("/<int:warning_id>/close")
@login_required
@no_store
def close(warning_id: int):
    warning = get_warning_or_404(warning_id)
    form = CloseForm(prefix="close")
    return _after(warning, form, lambda: services.close(
        warning, outcome=form.outcome.data, loss_prevented=form.loss_prevented.data, user=current_user),
        _("Warning closed."))


add_import_routes(bp, guard=managers_required, importer=plan_warnings, columns=COLUMNS, sheet="预警指令",
                  title=_l("Import warnings"), done=lambda n: _("%(n)s warnings imported.", n=n),
                  after="warnings.index")


@bp.get("/figures")
@managers_required
def figures():
    area = get_area_or_404(request.args.get("area") or current_user.scope_codes()[0])
    form, ok = period_from_args()
    figures = warning_figures(area, form.start.data, form.end.data) if ok else None
    return render_template("warnings/figures.html", form=form, area=area, figures=figures), 200 if ok else 400


@bp.route("/policy", methods=["GET", "POST"])
@county_required
def policy():
    current = services.policy_for(current_user.area)
    form = PolicyForm(data={"high": current.high_hours, "medium": current.medium_hours, "low": current.low_hours})
    if form.validate_on_submit():
        saved = save(form, lambda: services.set_policy(current_user.area, high=form.high.data,
                                                       medium=form.medium.data, low=form.low.data, user=current_user))
        if saved.ok:
            flash(_("Deadlines saved."), "success")
            return redirect(url_for("warnings.index"))
    return render_template("warnings/policy.html", form=form), status(form)
