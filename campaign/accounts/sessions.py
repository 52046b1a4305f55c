"""Sessions: who a cookie belongs to, when it stops working, and the pages a user must visit first.

A session or remember cookie names the user and their session version (``User.get_id``); log-out,
a password change or reset and deactivation bump the version, which ends every session at once.
"""
from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask, current_app, flash, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from campaign.core.inputs import parse_id
from campaign.extensions import db, login_manager

from .models import User
from .services import totp_required

MAX_REMEMBER = timedelta(days=30)
# Reachable whatever the session must do first: log-in and log-out, and public pages.
OPEN_ENDPOINTS = {"static", "accounts.login", "accounts.login_code", "accounts.logout", "main.set_language",
                  "main.healthz", "visits.service_worker", "visits.shell", "api.openapi", "verify.certificate",
                  "pwa.manifest", "pwa.favicon"}
SEEN = "_seen"


def init_sessions(app: Flask) -> None:
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config.get("SESSION_COOKIE_SECURE", False))
    duration = app.config.get("REMEMBER_COOKIE_DURATION") or MAX_REMEMBER
    if not isinstance(duration, timedelta):
        duration = timedelta(seconds=int(duration))
    app.config["REMEMBER_COOKIE_DURATION"] = min(duration, MAX_REMEMBER)
    login_manager.user_loader(load_user)
    app.before_request(guard_session)


def load_user(user_id: str) -> User | None:
    """The user of a session or remember cookie, if that cookie has not been ended since."""
    number, _sep, version = user_id.partition(":")
    number, version = parse_id(number), parse_id(version)
    if number is None or version is None:
        return None
    user = db.session.get(User, number)
    if user is None or not user.is_active or user.session_version != version:
        return None
    return user


def idle_limit(user: User) -> timedelta:
    key = "IDLE_MINUTES_WORKER" if user.is_worker else "IDLE_MINUTES_OFFICE"
    return timedelta(minutes=float(current_app.config[key]))


def _refuse(status: int, message: str, location: str):
    """API calls get JSON with the reason; pages go where the user must go, with the reason shown."""
    if request.path.startswith("/api/"):
        return jsonify(error=message), status
    flash(message, "warning")
    return redirect(location)


def guard_session():
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = time.time()
    seen = session.get(SEEN)
    if seen is not None and now - seen > idle_limit(current_user).total_seconds():
        logout_user()
        session.pop(SEEN, None)
        next_url = request.full_path if request.method == "GET" else None
        return _refuse(401, _("Your session ended after a time without use. Log in again."),
                       url_for("accounts.login", next=next_url))
    session[SEEN] = now
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if current_user.must_change_password:
        if request.endpoint != "account.password":
            return _refuse(403, _("Change your password before you go on."), url_for("account.password"))
    elif totp_required(current_user) and not current_user.totp_enabled:
        if request.endpoint not in ("account.totp_enrol", "account.index"):
            return _refuse(403, _("Your county requires two-step log-in. Set it up before you go on."),
                           url_for("account.totp_enrol"))
    return None
