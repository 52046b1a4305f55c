from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from campaign.areas.access import get_area_or_404
from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within
from campaign.extensions import db
from campaign.households.models import Household
from campaign.rounds.access import rounds_query
from campaign.rounds.models import Round
from campaign.rounds.services import current_round
from campaign.visits.models import GeoCheck, RoundHousehold, Visit
from campaign.visits.walklist import natural_key

from . import services

bp = Blueprint("coverage", __name__, url_prefix="/coverage")


def _chosen_round(area: Area) -> tuple[Round | None, list[Round]]:
    rounds = db.session.scalars(rounds_query()).all()
    wanted = request.args.get("round", "")
    chosen = next((r for r in rounds if str(r.id) == wanted), None) if wanted.isdigit() else None
    return chosen or current_round(area.code) or (rounds[0] if rounds else None), rounds


def area_and_round(view):
    """Fetch the area (in scope, or 404) and the round asked for (else the current one) for a view;
    with no round at all, say so instead."""

    @wraps(view)
    @login_required
    def wrapped(code: str):
        area = get_area_or_404(code)
        round_, rounds = _chosen_round(area)
        if round_ is None:
            return render_template("coverage/no_round.html", area=area)
        return view(area, round_, rounds)

    return wrapped


@bp.get("/")
@login_required
def index():
    codes = current_user.scope_codes()
    if not codes:
        return redirect(url_for("main.index"))
    return redirect(url_for("coverage.show", code=codes[0], **request.args))


@bp.get("/<code>")
@area_and_round
def show(area: Area, round_: Round, rounds: list[Round]):
    figures = services.area_figures(round_.id, area)
    context = {"area": area, "round": round_, "rounds": rounds, "figures": figures}
    if area.level is AreaLevel.GRID:
        rows = db.session.execute(
            sa.select(Household, RoundHousehold.status, RoundHousehold.visits)
            .outerjoin(RoundHousehold, sa.and_(RoundHousehold.household_id == Household.id,
                                               RoundHousehold.round_id == round_.id))
            .where(Household.grid_id == area.id)).all()
        rows.sort(key=lambda r: natural_key(r[0].door_label))
        return render_template("coverage/grid.html", households=rows, **context)
    children = services.ranked(services.child_figures(round_.id, area))
    return render_template("coverage/show.html", children=children, **context)


@bp.get("/<code>/villages")
@area_and_round
def villages(area: Area, round_: Round, rounds: list[Round]):
    rows = services.ranked(services.level_figures(round_.id, area, AreaLevel.VILLAGE))
    return render_template("coverage/ranking.html", area=area, round=round_, rounds=rounds, rows=rows,
                           kind="villages", title=_("Ranking of villages"))


@bp.get("/<code>/workers")
@area_and_round
def workers(area: Area, round_: Round, rounds: list[Round]):
    rows = services.ranked(services.worker_figures(round_.id, area))
    return render_template("coverage/ranking.html", area=area, round=round_, rounds=rounds, rows=rows,
                           kind="workers", title=_("Ranking of workers"))


@bp.get("/<code>/visits")
@area_and_round
def visits(area: Area, round_: Round, rounds: list[Round]):
    """Every visit in the area, newest first; ``flagged=1`` keeps those with an honesty signal."""
    query = (sa.select(Visit).join(Household, Household.id == Visit.household_id)
             .join(Area, Area.id == Household.grid_id)
             .where(Visit.round_id == round_.id, within(Area.code, area.code))
             .order_by(Visit.visited_at.desc(), Visit.id.desc()))
    flagged = request.args.get("flagged") == "1"
    if flagged:
        query = query.where(sa.or_(Visit.too_fast, Visit.geo.in_([GeoCheck.RED, GeoCheck.GREY])))
    page = db.paginate(query, per_page=50)
    return render_template("coverage/visits.html", area=area, round=round_, rounds=rounds, page=page,
                           flagged=flagged)
