from __future__ import annotations

import json

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from campaign.accounts.access import county_required
from campaign.areas.access import get_area_or_404
from campaign.core.csp import csp_nonce, policy
from campaign.core.imports import import_page, scoped
from campaign.core.inputs import parse_id
from campaign.core.period import period_from_args
from campaign.extensions import db
from campaign.rounds.models import Round
from campaign.rounds.services import current_round, rounds_for

from .boundaries import EXAMPLE, import_boundaries
from .builders import html_lang, page
from .compose import map_for

bp = Blueprint("maps", __name__, url_prefix="/maps")


def _round(area) -> Round | None:
    chosen = parse_id(request.args.get("round"))
    if chosen:
        found = db.session.scalar(rounds_for(area.code).where(Round.id == chosen))
        if found is not None:
            return found
    return current_round(area.code) or db.session.scalar(rounds_for(area.code).limit(1))


@bp.get("/")
@login_required
def index():
    return redirect(url_for("maps.show", code=current_user.scope_codes()[0]))


@bp.get("/<code>")
@login_required
def show(code: str):
    area = get_area_or_404(code)
    form, ok = period_from_args()
    round_ = _round(area)
    rounds = db.session.scalars(rounds_for(area.code).limit(20)).all()
    frame = url_for("maps.frame", code=area.code, round=round_.id if round_ else None,
                    start=form.start.data, end=form.end.data) if ok else None
    return render_template("maps/show.html", area=area, form=form, round=round_, rounds=rounds, frame=frame), \
        200 if ok else 400


@bp.get("/<code>/frame")
@login_required
def frame(code: str):
    """The map document itself, shown in the page's frame (the one response that may be framed, by us)."""
    area = get_area_or_404(code)
    form, ok = period_from_args()
    if not ok:
        return _("The period is not valid."), 400
    html = page(map_for(area, current_user, round_=_round(area), start=form.start.data, end=form.end.data,
                        config=current_app.config), nonce=csp_nonce(), title=f"{_('Map')} · {area.name}",
                lang=html_lang(get_locale()))
    return html, {"X-Frame-Options": "SAMEORIGIN", "Content-Security-Policy": policy(frame_ancestors="'self'")}


@bp.route("/boundaries/import", methods=["GET", "POST"])
@county_required
def import_boundaries_file():
    """Village (or any area's) boundaries as GeoJSON, matched by division code; all or nothing."""
    return import_page(importer=scoped(import_boundaries), title=_("Import boundaries (GeoJSON)"),
                       done=lambda n: _("%(n)s boundaries imported.", n=n), after=url_for("maps.index"),
                       file_label=_("File (GeoJSON)"), accept=".geojson,.json,application/geo+json,application/json",
                       intro=_("A GeoJSON FeatureCollection in WGS-84: each feature a Polygon or MultiPolygon "
                               "with its division code in properties.code. Every feature is checked first; if "
                               "any has a problem, nothing is imported and every problem is listed."),
                       templates=[("GeoJSON", url_for("maps.boundaries_template"))])


@bp.get("/boundaries/template.geojson")
@county_required
def boundaries_template():
    return json.dumps(EXAMPLE, ensure_ascii=False, indent=1), {
        "Content-Type": "application/geo+json", "Content-Disposition": "attachment; filename=boundaries.geojson"}
