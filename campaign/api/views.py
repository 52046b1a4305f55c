from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from pydantic import ValidationError

from campaign.accounts.models import Role
from campaign.areas.access import get_area_or_404
from campaign.areas.models import AreaLevel
from campaign.core.caching import no_store
from campaign.core.inputs import MAX_ID, parse_id
from campaign.core.types import utcnow
from campaign.coverage.services import area_figures, child_figures
from campaign.extensions import db
from campaign.rounds.models import Round
from campaign.rounds.services import current_round, rounds_for
from campaign.visits.schemas import BatchIn, explain
from campaign.visits.services import record_visits
from campaign.visits.walklist import walk_list

from .openapi import document

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    return jsonify(error=error.message), error.status


def server_time_ms() -> int:
    return int(utcnow().timestamp() * 1000)


@bp.after_app_request
def stamp_server_time(response):
    """The phone measures its clock against this (milliseconds since the Unix epoch), on every /api/ answer,
    errors and unknown paths included."""
    if request.path.startswith("/api/"):
        response.headers["X-Server-Time"] = str(server_time_ms())
    return response


@bp.before_request
def require_login():
    if request.endpoint == "api.openapi":
        return None
    if not current_user.is_authenticated:
        return jsonify(error="log in first"), 401
    return None


def _round(round_id: str | None, area_code: str) -> Round:
    """The round asked for (it must cover the area), or the current one."""
    if round_id is None:
        found = current_round(area_code)
        if found is None:
            raise ApiError(404, "no round is in progress; pass round=ID")
        return found
    wanted = parse_id(round_id)
    if wanted is None:
        raise ApiError(400, f"round must be a whole number from 1 to {MAX_ID}")
    found = db.session.scalar(rounds_for(area_code).where(Round.id == wanted))
    if found is None:
        raise ApiError(404, f"round {round_id} is unknown or does not cover this area")
    return found


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.get("/session")
@no_store  # a fresh token and a fresh clock reading every time
def session_info():
    """Who is logged in, a fresh CSRF token for writes, and the areas they work in."""
    user = current_user
    return jsonify(
        user={"id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role.value},
        csrf_token=generate_csrf(),
        server_time=server_time_ms(),
        areas=[{"code": a.code, "name": a.name, "level": a.level.value} for a in user.scope_roots()],
    )


@bp.get("/rounds")
def rounds():
    roots = current_user.scope_roots()
    if not roots:
        return jsonify(rounds=[])
    found = db.session.scalars(rounds_for(roots[0].code)).all()
    current = current_round(roots[0].code)
    return jsonify(rounds=[{"id": r.id, "name": r.name, "starts_on": r.starts_on.isoformat(),
                            "ends_on": r.ends_on.isoformat(), "current": current is not None and r.id == current.id}
                           for r in found])


@bp.get("/walklist")
@no_store
def walklist():
    code = request.args.get("grid", "")
    if not code:
        raise ApiError(400, "pass grid=CODE")
    grid = get_area_or_404(code)
    if grid.level is not AreaLevel.GRID:
        raise ApiError(400, "grid must be a grid code")
    round_ = _round(request.args.get("round"), grid.code)
    return jsonify(walk_list(round_, grid))


@bp.post("/visits")
def post_visits():
    if current_user.role is not Role.WORKER:
        raise ApiError(403, "only grid workers log visits")
    body = request.get_json(silent=True)
    if body is None:
        raise ApiError(400, "the body must be JSON (Content-Type: application/json)")
    try:
        batch = BatchIn.model_validate(body)
    except ValidationError as error:
        raise ApiError(400, explain(error)) from None
    results = record_visits(worker=current_user, items=batch.visits)
    db.session.commit()
    summary = {s: sum(r.status == s for r in results) for s in ("created", "duplicate", "conflict", "rejected")}
    status = 400 if summary["rejected"] else 409 if summary["conflict"] else 200
    current_app.logger.info("visits from %s: %s", current_user.username, summary)
    return jsonify(results=[r.as_dict() for r in results], summary=summary), status


@bp.get("/coverage")
def coverage():
    code = request.args.get("area") or (current_user.scope_codes() or [""])[0]
    area = get_area_or_404(code)
    round_ = _round(request.args.get("round"), area.code)
    return jsonify(
        round={"id": round_.id, "name": round_.name},
        area={"code": area.code, "name": area.name, "level": area.level.value},
        figures=area_figures(round_.id, area).as_dict(),
        children=[{"code": child.code, "name": child.name, "figures": figures.as_dict()}
                  for child, figures in child_figures(round_.id, area)],
    )


@bp.app_errorhandler(sa.exc.OperationalError)
def database_busy(error):  # a locked or unreachable database: the phone keeps its queue and retries
    db.session.rollback()
    if request.path.startswith("/api/"):
        return jsonify(error="the database is busy; try again"), 503
    raise error
