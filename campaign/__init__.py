"""The fraud-free campaign tracker (无诈创建台账)."""
from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, has_request_context, jsonify, render_template, request, session
from flask_login import current_user

from .config import Config, instance_secret
from .core.guards import register_guards
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .pwa import init_app as register_pwa


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, template_folder="../templates", static_folder="../static",
                instance_relative_config=True)
    app.config.from_object(Config)
    app.config.from_prefixed_env()
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(app.instance_path)
    app.config.setdefault(
        "SQLALCHEMY_DATABASE_URI", "sqlite:///" + os.path.join(app.instance_path, "campaign.db"))
    register_extensions(app)
    register_guards(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_pwa(app)  # manifest and icons; static files and pages compressed and cached (campaign/pwa)
    return app


def register_security_headers(app: Flask) -> None:
    """Headers every response carries: no sniffing, no framing, no referrer leaking paths, scripts only
    from the app or with the response's nonce (``core/csp.py``), and HSTS once cookies are HTTPS-only."""
    from .core.csp import HSTS, csp_nonce, policy

    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def secure(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", policy())
        response.headers["X-Wuzha-App"] = "1"  # the phone's service worker trusts only answers that carry it
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response


def select_locale() -> str:
    """Chinese unless the person picked another language with the switch."""
    chosen = session.get("locale") if has_request_context() else None
    return chosen if chosen in Config.LANGUAGES else Config.BABEL_DEFAULT_LOCALE


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    from .core import crypto

    crypto.init_app(app)  # the personal data key, checked against the data already stored
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"

    from .accounts.sessions import init_sessions

    init_sessions(app)  # user loader (session versions), idle expiry, forced password change

    with app.app_context():
        from . import models  # noqa: F401  (every model registered on the metadata)

        if db.engine.dialect.name == "sqlite":
            _tune_sqlite(db.engine)


def _tune_sqlite(engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def register_blueprints(app: Flask) -> None:
    from .accounts.account_views import bp as account_bp
    from .accounts.views import bp as accounts_bp
    from .api.views import bp as api_bp
    from .areas.views import bp as areas_bp
    from .audit.views import bp as audit_bp
    from .callbacks.views import bp as callbacks_bp
    from .coverage.views import bp as coverage_bp
    from .creation.verify import bp as verify_bp
    from .creation.views import bp as creation_bp
    from .events.views import bp as events_bp
    from .households.views import bp as households_bp
    from .incidents.views import bp as incidents_bp
    from .jobs.views import bp as jobs_bp
    from .main.views import bp as main_bp
    from .maps.views import bp as maps_bp
    from .pickers.views import bp as pickers_bp
    from .reports.views import bp as reports_bp
    from .review.views import bp as review_bp
    from .risk.views import bp as risk_bp
    from .rounds.views import bp as rounds_bp
    from .visits.table import bp as visit_table_bp
    from .visits.views import bp as visits_bp
    from .warnings.views import bp as warnings_bp

    for blueprint in (main_bp, accounts_bp, account_bp, areas_bp, households_bp, rounds_bp, visits_bp, coverage_bp,
                      api_bp, incidents_bp, audit_bp, warnings_bp, events_bp, creation_bp, verify_bp,
                      maps_bp, jobs_bp, reports_bp, visit_table_bp, pickers_bp, risk_bp, review_bp, callbacks_bp):
        app.register_blueprint(blueprint)


# Shown when even the error page cannot be rendered; it needs no template, session or database.
BARE_ERROR = ("<!doctype html><meta charset=utf-8><title>{code}</title>"
              "<h1>{code}</h1><p>服务器出错，请稍后重试。 Something went wrong; try again in a moment.</p>")


def register_errorhandlers(app: Flask) -> None:
    def rollback() -> None:  # a failed write leaves the session unusable until it is rolled back
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001  (the page must render even when the database is gone)
            app.logger.exception("rollback failed while answering an error")

    def render_error(error):
        rollback()
        code = getattr(error, "code", None) or 500
        default = getattr(type(error), "description", None)
        described = getattr(error, "description", None)
        reason = described if code == 400 and described != default else None
        if request.path.startswith("/api/"):
            return jsonify(error=described or "server error"), code
        try:
            return render_template("errors/error.html", code=code, reason=reason), code
        except Exception:  # noqa: BLE001
            rollback()
            app.logger.exception("the error page failed for %s", code)
            return BARE_ERROR.format(code=code), code, {"Content-Type": "text/html; charset=utf-8"}

    for code in (400, 403, 404, 405, 413, 500):
        app.errorhandler(code)(render_error)


def register_commands(app: Flask) -> None:
    from .accounts.cli import create_user_command
    from .areas.cli import import_areas_command, recount_command
    from .audit.cli import audit_cli
    from .backup.cli import backup_command, restore_command
    from .demo.cli import demo_command
    from .households.cli import import_households_command
    from .reports.cli import report_command
    from .visits.cli import rebuild_tallies_command

    for command in (create_user_command, import_areas_command, recount_command, demo_command,
                    import_households_command, rebuild_tallies_command, report_command,
                    audit_cli, backup_command, restore_command):
        app.cli.add_command(command)


def register_template_helpers(app: Flask) -> None:
    from .core.forms import EmptyForm
    from .main.nav import menu

    app.add_template_global(menu, "main_menu")

    @app.template_filter("pct")
    def pct(value: float | None, digits: int = 1) -> str:
        return "—" if value is None else f"{value * 100:.{digits}f}%"

    @app.context_processor
    def inject():
        return {"languages": Config.LANGUAGES, "current_locale": select_locale(),
                "empty_form": EmptyForm, "current_user": current_user}
