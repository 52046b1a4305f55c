from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from campaign.areas.models import Area
from campaign.areas.scope import within_any
from campaign.core.actions import save, status
from campaign.core.errors import DomainError, apply_to_form
from campaign.core.forms import EmptyForm
from campaign.core.urls import safe_next
from campaign.extensions import db

from . import services
from .access import county_required, get_user_or_404, users_query
from .forms import LoginForm, UserForm
from .models import Role

bp = Blueprint("accounts", __name__)


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
            db.session.commit()  # the failed attempt must count towards throttling
            apply_to_form(form, error)
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    return render_template("accounts/login.html", form=form), (400 if form.errors else 200)


@bp.post("/logout")
@login_required
def logout():
    if EmptyForm().validate_on_submit():
        logout_user()
    return redirect(url_for("accounts.login"))


@bp.get("/users/")
@county_required
def users():
    page = db.paginate(users_query(), per_page=50)
    return render_template("accounts/users.html", page=page)


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
                password=form.password.data or "", area=area, grids=grids, phone=form.phone.data or "")

        saved = save(form, create)
        if saved.ok:
            flash(_("User %(name)s created.", name=saved.value.username), "success")
            return redirect(url_for("accounts.users"))
    return render_template("accounts/user_form.html", form=form, user=None), status(form)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@county_required
def edit_user(user_id: int):
    user = get_user_or_404(user_id)
    form = UserForm(obj=user)
    if request.method == "GET":
        form.area_code.data = user.area.code if user.area else ""
        form.grid_codes.data = "\n".join(g.code for g in user.grids)
    if form.validate_on_submit():
        def update():
            if form.username.data != user.username:
                raise DomainError(_("The user name cannot be changed."), field="username")
            if user.id == current_user.id and (not form.active.data or form.role.data is not Role.COUNTY):
                raise DomainError(_("You cannot lock yourself out."), field="active")
            area, grids = _areas_from_form(form)
            return services.update_user(
                user, display_name=form.display_name.data, role=form.role.data, area=area, grids=grids,
                phone=form.phone.data or "", active=form.active.data, password=form.password.data or "")

        if save(form, update).ok:
            flash(_("User %(name)s saved.", name=user.username), "success")
            return redirect(url_for("accounts.users"))
    return render_template("accounts/user_form.html", form=form, user=user), status(form)
