"""A user's own account: change the password, set up or remove two-step log-in (TOTP)."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from campaign.core.actions import save, status
from campaign.extensions import db

from . import services, totp
from .forms import CodeForm, PasswordChangeForm, TotpDisableForm
from .passwords import RULE

bp = Blueprint("account", __name__, url_prefix="/account")


def _stay_logged_in(user) -> None:
    """The session version changed: carry this session (and its remember cookie) over to it."""
    cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    login_user(user, remember=user.is_worker and cookie in request.cookies)


@bp.get("/")
@login_required
def index():
    return render_template("accounts/account.html", required=services.totp_required(current_user))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordChangeForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        changed = save(form, lambda: services.change_password(
            user, current=form.current.data, new=form.new.data, ip=request.remote_addr or ""))
        if changed.ok:
            _stay_logged_in(user)
            flash(_("Password changed. Every other session of yours has ended."), "success")
            return redirect(url_for("account.index"))
    return render_template("accounts/password.html", form=form, rule=RULE), status(form)


@bp.route("/totp", methods=["GET", "POST"])
@login_required
def totp_enrol():
    """Set up two-step log-in: scan the QR (or type the secret), then confirm with one code."""
    user = current_user._get_current_object()
    if user.totp_enabled:
        return redirect(url_for("account.index"))
    if not user.totp_secret:
        totp.start_enrolment(user)
        db.session.commit()
    form = CodeForm()
    if form.validate_on_submit():
        if save(form, lambda: totp.confirm_enrolment(user, form.code.data, ip=request.remote_addr or "")).ok:
            _stay_logged_in(user)
            flash(_("Two-step log-in is on."), "success")
            return redirect(url_for("account.index"))
    return render_template("accounts/totp_enrol.html", form=form, secret=user.totp_secret,
                           qr=totp.qr_data_uri(user)), status(form)


@bp.route("/totp/disable", methods=["GET", "POST"])
@login_required
def totp_disable():
    user = current_user._get_current_object()
    if not user.totp_enabled:
        return redirect(url_for("account.index"))
    form = TotpDisableForm()
    if form.validate_on_submit():
        if save(form, lambda: totp.disable(user, password=form.password.data, code=form.code.data,
                                           ip=request.remote_addr or "",
                                           required=services.totp_required(user))).ok:
            _stay_logged_in(user)
            flash(_("Two-step log-in is off."), "success")
            return redirect(url_for("account.index"))
    return render_template("accounts/totp_disable.html", form=form), status(form)
