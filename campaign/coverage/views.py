from __future__ import annotations

from functools import wraps

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from campaign.areas.access import get_area_or_404
from campaign.areas.models import Area, AreaLevel
from campaign.core.exports import xlsx_response
from campaign.core.inputs import parse_id
from campaign.extensions import db
from campaign.rounds.access import rounds_query
from campaign.rounds.models import Round
from campaign.rounds.services import current_round

from . import exports, services

bp = Blueprint("coverage", __name__, url_prefix="/coverage")


def _chosen_round(area: Area) -> tuple[Round | None, list[Round]]:
    rounds = db.session.scalars(rounds_query()).all()
    wanted = parse_id(request.args.get("round"))
    chosen = next((r for r in rounds if r.id == wanted), None)
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
        return render_template("coverage/grid.html", households=services.grid_households(round_.id, area), **context)
    children = services.ranked(services.child_figures(round_.id, area))
    return render_template("coverage/show.html", children=children, **context)


def _file_name(what: str, area: Area, round_: Round) -> str:
    return f"{what}-{area.name}-{round_.name}.xlsx"


@bp.get("/<code>/export.xlsx")
@area_and_round
def export(area: Area, round_: Round, rounds: list[Round]):
    """The table of the coverage page: its sub-areas, or a grid's households."""
    if area.level is AreaLevel.GRID:
        sheet = exports.households_sheet("住户", round_, area)
    else:
        sheet = exports.areas_sheet("覆盖率", services.ranked(services.child_figures(round_.id, area)))
    return xlsx_response(_file_name("覆盖率", area, round_), [sheet])


@bp.get("/<code>/townships")
@area_and_round
def townships(area: Area, round_: Round, rounds: list[Round]):
    rows = services.ranked(services.level_figures(round_.id, area, AreaLevel.TOWNSHIP))
    return render_template("coverage/ranking.html", area=area, round=round_, rounds=rounds, rows=rows,
                           kind="townships", title=_("Ranking of townships"))


@bp.get("/<code>/townships/export.xlsx")
@area_and_round
def townships_export(area: Area, round_: Round, rounds: list[Round]):
    rows = services.ranked(services.level_figures(round_.id, area, AreaLevel.TOWNSHIP))
    return xlsx_response(_file_name("乡镇(街道)排名", area, round_), [exports.areas_sheet("乡镇(街道)排名", rows)])


@bp.get("/<code>/villages")
@area_and_round
def villages(area: Area, round_: Round, rounds: list[Round]):
    rows = services.ranked(services.level_figures(round_.id, area, AreaLevel.VILLAGE))
    return render_template("coverage/ranking.html", area=area, round=round_, rounds=rounds, rows=rows,
                           kind="villages", title=_("Ranking of villages"))


@bp.get("/<code>/villages/export.xlsx")
@area_and_round
def villages_export(area: Area, round_: Round, rounds: list[Round]):
    rows = services.ranked(services.level_figures(round_.id, area, AreaLevel.VILLAGE))
    return xlsx_response(_file_name("村(社区)排名", area, round_), [exports.areas_sheet("村(社区)排名", rows)])


@bp.get("/<code>/workers")
@area_and_round
def workers(area: Area, round_: Round, rounds: list[Round]):
    rows = services.ranked(services.worker_figures(round_.id, area))
    return render_template("coverage/ranking.html", area=area, round=round_, rounds=rounds, rows=rows,
                           kind="workers", title=_("Ranking of workers"))


@bp.get("/<code>/workers/export.xlsx")
@area_and_round
def workers_export(area: Area, round_: Round, rounds: list[Round]):
    rows = services.ranked(services.worker_figures(round_.id, area))
    return xlsx_response(_file_name("网格员排名", area, round_), [exports.workers_sheet("网格员排名", rows)])


def _flagged() -> bool:
    return request.args.get("flagged") == "1"


@bp.get("/<code>/visits")
@area_and_round
def visits(area: Area, round_: Round, rounds: list[Round]):
    """Every visit in the area, newest first; ``flagged=1`` keeps those with an honesty signal."""
    flagged = _flagged()
    page = db.paginate(services.visits_query(round_.id, area, flagged=flagged), per_page=50)
    return render_template("coverage/visits.html", area=area, round=round_, rounds=rounds, page=page,
                           flagged=flagged)


@bp.get("/<code>/visits/export.xlsx")
@area_and_round
def visits_export(area: Area, round_: Round, rounds: list[Round]):
    """The same visits as the page, every one of them, streamed from the database."""
    what = "存疑走访" if _flagged() else "走访记录"
    return xlsx_response(_file_name(what, area, round_),
                         [exports.visits_sheet(what, round_, area, flagged=_flagged())])
