"""What a picker asks as the user types, when its choices are too many to write into the page: areas, grid
workers and schools or units inside the user's own area, 50 at most, as JSON."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from campaign.accounts.models import Role
from campaign.areas.access import get_area_or_404
from campaign.areas.models import AreaLevel
from campaign.core.caching import no_store

from . import options, pinyin
from .fields import picker_attrs

bp = Blueprint("pickers", __name__, url_prefix="/api/v1/pickers")


@bp.before_request
def require_login():
    if not current_user.is_authenticated:
        return jsonify(error="log in first"), 401
    return None


bp.add_app_template_global(picker_attrs, "picker_attrs")  # for pickers written by hand (the visits table)


@bp.app_template_filter("pinyin")
def pinyin_filter(name: str) -> str:
    """A name's pinyin for a picker's option written by hand (``data-pinyin="{{ name|pinyin }}"``)."""
    return pinyin.spelling(name or "")


def _answer(found: list[options.Option], more: bool):
    return jsonify(results=[o.as_json() for o in found], more=more)


@bp.get("/areas")
@no_store
def areas():
    """?q=what was typed&level=village&level=grid (any level when none)."""
    try:
        levels = [AreaLevel(value) for value in request.args.getlist("level")]
    except ValueError:
        return jsonify(error="level must be one of " + ", ".join(lv.value for lv in AreaLevel)), 400
    return _answer(*options.find_areas(request.args.get("q", ""), levels))


@bp.get("/workers")
@no_store
def workers():
    """?q=what was typed&area=code (the user's whole area when none). For officials and the county office."""
    if current_user.role is Role.WORKER:
        return jsonify(error="only officials and the county office choose grid workers"), 403
    code = request.args.get("area")
    area = get_area_or_404(code) if code else None
    return _answer(*options.find_workers(request.args.get("q", ""), area))


@bp.get("/targets")
@no_store
def targets():
    """?q=what was typed: schools and units (creation targets) inside the user's area."""
    return _answer(*options.find_targets(request.args.get("q", "")))
