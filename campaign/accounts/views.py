from __future__ import annotations

import time

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from campaign.areas.models import Area
from campaign.areas.scope import within_any
from campaign.core.actions import save, status
from campaign.core.errors import DomainError, apply_to_form
from campaign.core.forms import EmptyForm
from campaign.core.urls import safe_next
from campaign.extensions import db

from . import services, totp
from .access import county_required, get_user_or_404, users_query
from .events import security_event
from .forms import CodeForm, LoginForm, PolicyForm, UserForm
from .models import Role
from .passwords import RULE
from .sessions import load_user

bp = Blueprint("accounts", __name__)

PENDING = "_pending_login"
PENDING_SECONDS = 5 * 60


def _finish_login(user, *, remember: bool, next_url: str | None):
    services.record_login(user, ip=request.remote_addr or "")
    db.session.commit()
    # Remember-me is for grid workers' phones; office sessions always end when idle.
    login_user(user, remember=remember and user.is_worker)
    return redirect(safe_next(next_url) or url_for("main.index"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(username=form.username.data, password=form.password.data,
                                         ip=request.remote_addr or "")
        except DomainError as error:
            db.session.commit()  # the failed attempt stays in the log-in trail
            apply_to_form(form, error)
        else:
            next_url = request.args.get("next")
            if not user.totp_enabled:
                return _finish_login(user, remember=form.remember.data, next_url=next_url)
            db.session.commit()
            session[PENDING] = {"id": user.get_id(), "remember": bool(form.remember.data),
                                "next": safe_next(next_url), "at": time.time()}
            return redirect(url_for("accounts.login_code"))
    return render_template("accounts/login.html", form=form), (400 if form.errors else 200)


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """The second step: the code from the authenticator app, once the password was right."""
    pending = session.get(PENDING)
    user = load_user(pending["id"]) if pending and time.time() - pending["at"] < PENDING_SECONDS else None
    if user is None:
        session.pop(PENDING, None)
        return redirect(url_for("accounts.login"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            totp.verify(user, form.code.data, ip=request.remote_addr or "")
        except DomainError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            session.pop(PENDING, None)
            return _finish_login(user, remember=pending["remember"], next_url=pending["next"])
    return render_template("accounts/login_code.html", form=form), status(form)


@bp.post("/logout")
@login_required
def logout():
    if EmptyForm().validate_on_submit():
        services.end_sessions(current_user)  # every other device and remember cookie too
        security_event(current_user, "logout", ip=request.remote_addr or "")
        db.session.commit()
        logout_user()
    return redirect(url_for("accounts.login"))


@bp.get("/users/")
@county_required
def users():
    page = db.paginate(users_query(), per_page=50)
    return render_template("accounts/users.html", page=page)


@bp.route("/users/security", methods=["GET", "POST"])
@county_required
def security():
    """The county's own security settings: two-step log-in for the county office."""
    form = PolicyForm(obj=services.policy_for(current_user.area))
    if form.validate_on_submit():
        if save(form, lambda: services.set_policy(current_user.area, totp_required=form.totp_required.data)).ok:
            flash(_("Security settings saved."), "success")
            return redirect(url_for("accounts.users"))
    return render_template("accounts/security.html", form=form), status(form)


def _areas_from_form(form: UserForm) -> tuple[Area | None, list[Area]]:
    """Resolve the typed codes, inside the county office's own area only."""
    prefixes = current_user.scope_codes()
    area = None
    if form.area_code.data:
        area = db.session.scalar(sa.select(Area).where(Area.code == form.area_code.data.strip(),
                                                       within_any(Area.code, prefixes)))
        if area is None:
            raise DomainError(_("Unknown area code %(code)s.", code=form.area_code.data), field="area_code")
    codes = (form.grid_codes.data or "").replace(",", " ").split()
    grids = list(db.session.scalars(sa.select(Area).where(Area.code.in_(codes), within_any(Area.code, prefixes))))
    unknown = sorted(set(codes) - {g.code for g in grids})
    if unknown:
        raise DomainError(_("Unknown grid codes: %(codes)s", codes=", ".join(unknown)), field="grid_codes")
    return area, grids


@bp.route("/users/new", methods=["GET", "POST"])
@county_required
def new_user():
    form = UserForm()
    if form.validate_on_submit():
        def create():
            area, grids = _areas_from_form(form)
            return services.create_user(
                username=form.username.data, display_name=form.display_name.data, role=form.role.data,
                password=form.password.data or "", area=area, grids=grids, phone=form.phone.data or "",
                must_change_password=True)  # made by another person: changed at first log-in

        saved = save(form, create)
        if saved.ok:
            flash(_("User %(name)s created.", name=saved.value.username), "success")
            return redirect(url_for("accounts.users"))
    return render_template("accounts/user_form.html", form=form, user=None, rule=RULE), status(form)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@county_required
def edit_user(user_id: int):
    user = get_user_or_404(user_id)
    # Grids of another county are neither shown to this office nor dropped by its edit.
    foreign = [g for g in user.grids if not current_user.can_see(g)]
    form = UserForm(obj=user)
    if request.method == "GET":
        form.area_code.data = user.area.code if user.area else ""
        form.grid_codes.data = "\n".join(g.code for g in user.grids if current_user.can_see(g))
    if form.validate_on_submit():
        def update():
            if form.username.data != user.username:
                raise DomainError(_("The user name cannot be changed."), field="username")
            if user.id == current_user.id and (not form.active.data or form.role.data is not Role.COUNTY):
                raise DomainError(_("You cannot lock yourself out."), field="active")
            if foreign and form.role.data is not Role.WORKER:
                raise DomainError(_("This grid worker also works in another county."), field="role")
            area, grids = _areas_from_form(form)
            return services.update_user(
                user, display_name=form.display_name.data, role=form.role.data, area=area,
                grids=grids + foreign, phone=form.phone.data or "", active=form.active.data,
                password=form.password.data or "", must_change_password=form.must_change_password.data,
                remove_totp=form.remove_totp.data)

        if save(form, update).ok:
            flash(_("User %(name)s saved.", name=user.username), "success")
            return redirect(url_for("accounts.users"))
    return render_template("accounts/user_form.html", form=form, user=user, rule=RULE), status(form)
