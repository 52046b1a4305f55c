"""Call-back samples (回访抽查): the county office or a township official draws a sample and assigns
checkers; a checker works through "my call-backs", sees the household's phone (each showing audited)
and records attempts and the result."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from campaign.accounts.access import managers_required
from campaign.areas.access import get_area_or_404
from campaign.areas.models import Area
from campaign.areas.scope import within_any
from campaign.core.actions import save, status
from campaign.core.caching import no_store
from campaign.core.clock import from_local, zone
from campaign.core.errors import DomainError
from campaign.core.forms import EmptyForm
from campaign.core.inputs import parse_id
from campaign.core.text import mask_phone
from campaign.extensions import db
from campaign.households.models import Household
from campaign.households.privacy import audit_view
from campaign.rounds.models import Round
from campaign.rounds.services import rounds_for

from . import sampling, services
from .forms import AssignForm, AttemptForm, DrawForm
from .models import CallbackSample, CallbackTask, Reason, Result, TaskStatus

bp = Blueprint("callbacks", __name__, url_prefix="/callbacks")
PER_PAGE = 100


def samples_query(user=None) -> sa.Select:
    user = user or current_user
    return (sa.select(CallbackSample).join(Area, Area.id == CallbackSample.area_id)
            .where(within_any(Area.code, user.scope_codes())))


def get_sample_or_404(sample_id: int) -> CallbackSample:
    return db.first_or_404(samples_query().where(CallbackSample.id == sample_id)
                           .options(so.joinedload(CallbackSample.area), so.joinedload(CallbackSample.round)))


def get_task_or_404(task_id: int) -> CallbackTask:
    """A task of the current user's own: anyone else's is a 404."""
    return db.first_or_404(sa.select(CallbackTask).where(CallbackTask.id == task_id,
                                                         CallbackTask.checker_id == current_user.id))


@bp.get("/")
@managers_required
@no_store
def index():
    samples = db.session.execute(
        samples_query().with_only_columns(CallbackSample, sa.func.count(CallbackTask.id),
                                          sa.func.count(CallbackTask.done_at))
        .outerjoin(CallbackTask, CallbackTask.sample_id == CallbackSample.id)
        .group_by(CallbackSample.id).order_by(CallbackSample.created_at.desc(), CallbackSample.id.desc())
        .options(so.joinedload(CallbackSample.area), so.joinedload(CallbackSample.round)).limit(200)).all()
    return render_template("callbacks/index.html", samples=samples, roots=current_user.scope_roots(),
                           alerts=services.count_new_not_visited(current_user))


@bp.route("/<code>/new", methods=["GET", "POST"])
@managers_required
@no_store
def new(code: str):
    area = get_area_or_404(code)
    rounds = db.session.scalars(rounds_for(area.code)).all()
    form = DrawForm()
    form.round.choices = [(r.id, r.name) for r in rounds]
    if request.method == "POST" and parse_id(request.form.get("round")) not in {r.id for r in rounds}:
        abort(404)
    if form.validate_on_submit():
        round_ = db.session.get(Round, form.round.data)
        saved = save(form, lambda: sampling.draw_sample(
            round_=round_, area=area, percent=float(form.percent.data), minimum=form.minimum.data,
            focused=form.focused.data, seed=form.seed.data, user=current_user))
        if saved.ok:
            flash(_("Sample drawn."), "success")
            return redirect(url_for("callbacks.sample", sample_id=saved.value.id))
    return render_template("callbacks/new.html", area=area, form=form), status(form)


def _filtered(sample: CallbackSample) -> tuple[sa.Select, dict]:
    args = {key: request.args.get(key, "") for key in ("status", "result", "reason", "checker", "village")}
    query = sa.select(CallbackTask).where(CallbackTask.sample_id == sample.id)
    if args["status"] in TaskStatus.__members__.values():
        query = query.where(CallbackTask.status == TaskStatus(args["status"]))
    if args["result"] in Result.__members__.values():
        query = query.where(CallbackTask.result == Result(args["result"]))
    if args["reason"] in Reason.__members__.values():
        query = query.where(CallbackTask.reason == Reason(args["reason"]))
    if args["checker"] == "none":
        query = query.where(CallbackTask.checker_id.is_(None))
    elif parse_id(args["checker"]) is not None:
        query = query.where(CallbackTask.checker_id == parse_id(args["checker"]))
    if parse_id(args["village"]) is not None:
        query = query.where(CallbackTask.village_id == parse_id(args["village"]))
    return query, {k: v for k, v in args.items() if v}


@bp.get("/samples/<int:sample_id>")
@managers_required
@no_store
def sample(sample_id: int):
    found = get_sample_or_404(sample_id)
    query, args = _filtered(found)
    page = db.paginate(query.order_by(CallbackTask.village_id, CallbackTask.id).options(
        so.joinedload(CallbackTask.household).joinedload(Household.grid), so.joinedload(CallbackTask.worker),
        so.joinedload(CallbackTask.checker), so.joinedload(CallbackTask.visit)), per_page=PER_PAGE)
    counts = {(result.value if result else "open"): n for result, n in db.session.execute(
        sa.select(CallbackTask.result, sa.func.count()).where(CallbackTask.sample_id == found.id)
        .group_by(CallbackTask.result))}
    by_reason = dict(db.session.execute(sa.select(CallbackTask.reason, sa.func.count())
                                        .where(CallbackTask.sample_id == found.id).group_by(CallbackTask.reason)).all())
    villages = db.session.execute(
        sa.select(Area.id, Area.name).where(Area.id.in_(
            sa.select(CallbackTask.village_id).where(CallbackTask.sample_id == found.id))).order_by(Area.code)).all()
    checkers = db.session.scalars(services.checkers_query(found.area)).all()
    form = AssignForm()
    form.checkers.choices = [(c.id, f"{c.display_name} · {c.role.label}") for c in checkers]
    alerts = db.session.scalar(sa.select(sa.func.count()).select_from(
        services.new_not_visited([found.area.code]).where(CallbackTask.sample_id == found.id).subquery()))
    return render_template("callbacks/sample.html", sample=found, page=page, args=args, counts=counts,
                           by_reason=by_reason, villages=villages, checkers=checkers, form=form, alerts=alerts,
                           results=list(Result), reasons=list(Reason))


@bp.post("/samples/<int:sample_id>/assign")
@managers_required
def assign(sample_id: int):
    found = get_sample_or_404(sample_id)
    form = AssignForm()
    checkers = db.session.scalars(services.checkers_query(found.area)).all()
    form.checkers.choices = [(c.id, c.display_name) for c in checkers]
    back = url_for("callbacks.sample", sample_id=found.id, **{k: v for k, v in request.args.items() if k != "page"})
    if not form.validate_on_submit():
        for message in [*form.checkers.errors, *form.which.errors] or [_("Choose the checkers.")]:
            flash(message, "danger")
        return redirect(back)
    query = sa.select(CallbackTask).where(CallbackTask.sample_id == found.id, CallbackTask.status == TaskStatus.OPEN)
    if form.which.data == "unassigned":
        query = query.where(CallbackTask.checker_id.is_(None))
    else:
        ids = [parse_id(v) for v in request.form.getlist("task")]
        if any(i is None for i in ids):
            abort(400)
        if not ids:
            flash(_("Tick the tasks to assign."), "danger")
            return redirect(back)
        query = query.where(CallbackTask.id.in_(ids))
    tasks = db.session.scalars(query.order_by(CallbackTask.id)).all()
    chosen = [c for c in checkers if c.id in set(form.checkers.data)]
    saved = save(form, lambda: services.assign(sample=found, tasks=tasks, checkers=chosen, user=current_user))
    if saved.ok:
        flash(ngettext("%(num)s task assigned.", "%(num)s tasks assigned.", saved.value.assigned), "success")
        if saved.value.skipped:
            flash(ngettext("%(num)s task left unassigned: every checker chosen visited that household.",
                           "%(num)s tasks left unassigned: every checker chosen visited those households.",
                           saved.value.skipped), "warning")
    else:
        for message in [*form.checkers.errors, *form.form_errors]:
            flash(message, "danger")
    return redirect(back)


@bp.get("/mine")
@login_required
@no_store
def mine():
    """The checker's own call-backs, open first."""
    tasks = db.session.scalars(
        sa.select(CallbackTask).where(CallbackTask.checker_id == current_user.id)
        .order_by(CallbackTask.status.desc(), CallbackTask.id)
        .options(so.joinedload(CallbackTask.household).joinedload(Household.grid),
                 so.joinedload(CallbackTask.village), so.selectinload(CallbackTask.attempts)).limit(500)).all()
    return render_template("callbacks/mine.html", tasks=tasks, mask_phone=mask_phone)


def _task_page(task: CallbackTask, form: AttemptForm, *, revealed: bool = False):
    own = task.worker_id == current_user.id or bool(
        services.own_households(current_user.id, task.sample.round_id, [task.household_id]))
    return render_template("callbacks/task.html", task=task, form=form, revealed=revealed, own=own,
                           reveal_form=EmptyForm(), mask_phone=mask_phone,
                           needed=services.ATTEMPTS_FOR_UNREACHABLE), status(form)


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@login_required
@no_store
def task(task_id: int):
    """One call-back: the household, the visit checked, the attempts, and the form for the next one."""
    found = get_task_or_404(task_id)
    form = AttemptForm(data=None if request.method == "POST" else
                       {"at": datetime.now(zone()).replace(second=0, microsecond=0, tzinfo=None)})
    if form.validate_on_submit():
        saved = save(form, lambda: services.log_attempt(
            task=found, at=from_local(form.at.data), method=form.method.data, note=form.note.data or "",
            result=form.result.data, result_note=form.result_note.data or "", user=current_user))
        if saved.ok:
            flash(_("Result saved: %(result)s.", result=found.result.label) if found.result else
                  _("Call or revisit logged."), "success")
            return redirect(url_for("callbacks.mine") if found.result else
                            url_for("callbacks.task", task_id=found.id))
    return _task_page(found, form)


@bp.post("/tasks/<int:task_id>/phone")
@login_required
@no_store
def phone(task_id: int):
    """The household's full phone number, for the checker to call; each showing is audited."""
    found = get_task_or_404(task_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    form = AttemptForm(formdata=None)
    try:
        services.refuse_own(found, current_user)
    except DomainError as error:
        form.form_errors.append(error.message)
        return _task_page(found, form)
    audit_view(found.household, via="call-back task", shown=("phone",))
    db.session.commit()
    return _task_page(found, form, revealed=True)


@bp.app_context_processor
def _callback_alerts():
    def callback_alerts() -> int:
        """New "not visited" results in the user's area, for the home page (there is no notification system)."""
        if not current_user.is_authenticated or current_user.is_worker:
            return 0
        return services.count_new_not_visited(current_user)

    def open_callbacks() -> int:
        if not current_user.is_authenticated:
            return 0
        return db.session.scalar(sa.select(sa.func.count()).where(
            CallbackTask.checker_id == current_user.id, CallbackTask.status == TaskStatus.OPEN))

    return {"callback_alerts": callback_alerts, "open_callbacks": open_callbacks}
