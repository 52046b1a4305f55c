from __future__ import annotations

import json

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from campaign.accounts.access import county_required
from campaign.areas.access import get_area_or_404
from campaign.core.actions import import_upload, status
from campaign.core.forms import UploadForm
from campaign.core.period import period_from_args
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.rounds.models import Round
from campaign.rounds.services import current_round, rounds_for

from . import layers
from .boundaries import EXAMPLE, import_boundaries
from .builders import Assets, Layer, area_map, coverage_legend
from .tiles import provider

bp = Blueprint("maps", __name__, url_prefix="/maps")


def _assets() -> Assets:
    def static(path):
        return url_for("static", filename=path)
    return Assets(
        js=[("leaflet", static("vendor/leaflet/leaflet.js")),
            ("awesome_markers", static("vendor/leaflet-awesome-markers/leaflet.awesome-markers.min.js"))],
        css=[("leaflet_css", static("vendor/leaflet/leaflet.css")),
             ("awesome_markers_css", static("vendor/leaflet-awesome-markers/leaflet.awesome-markers.css")),
             ("app_map_css", static("css/map.css"))],
        cluster_js=[("markerclusterjs", static("vendor/leaflet-markercluster/leaflet.markercluster.js"))],
        cluster_css=[("markerclustercss", static("vendor/leaflet-markercluster/MarkerCluster.css")),
                     ("markerclusterdefaultcss", static("vendor/leaflet-markercluster/MarkerCluster.Default.css"))])


def _round(area) -> Round | None:
    chosen = request.args.get("round", type=int)
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


def _js(text) -> str:
    return json.dumps(str(text), ensure_ascii=False)


def _popups() -> dict[str, str]:
    """Popup builders (JS, run in the browser with esc() and the feature's properties p)."""
    coverage, village = _js(_("Coverage")), _js(_("Open the village"))
    return {
        "coverage": "return '<strong>'+esc(p.n)+'</strong><br>'+" + coverage + "+': '+(p.v==null?'—':p.v+'%')"
                    "+' ('+p.r+' / '+p.s+')<br><a target=\"_top\" href=\"" + url_for("coverage.index")
                    + "'+esc(p.k)+'\">'+" + village + "+'</a>';",
        "zero": "return '<strong>'+esc(p.n)+'</strong><br>'+(p.x?" + _js(_("Cases")) + "+': '+p.x:"
                + _js(_("No case in the period")) + ")+'<br><a target=\"_top\" href=\"" + url_for(
                    "incidents.zero") + "?area='+esc(p.k)+'\">'+" + _js(_("Zero-incident figures")) + "+'</a>';",
        "targets": "return '<strong>'+esc(p.n)+'</strong><br>'+esc(p.sl)+(p.sn?' · '+esc(p.sn):'')"
                   "+'<br><a target=\"_top\" href=\"" + url_for("creation.index") + "'+p.t+'\">'+"
                   + _js(_("Open the target")) + "+'</a>';",
        "warnings": "return '<strong>'+esc(p.n)+'</strong><br>'+esc(p.l)+(p.o?' · '+" + _js(_("overdue")) + ":'')"
                    "+'<br><a target=\"_top\" href=\"" + url_for("warnings.index") + "'+p.w+'\">'+"
                    + _js(_("Open the warning")) + "+'</a>';",
        "households": "return '<strong>'+esc(p.n)+'</strong>';",
    }


def build(area, user, *, round_: Round | None, start, end, config):
    """The folium map of an area for this user: the layers their role may see."""
    tiles = provider(config)
    shift = tiles.shift
    P = _popups()  # noqa: N806
    chosen = []
    if not user.is_worker:
        shapes = layers.shapes_for(area, shift)
        chosen.append(Layer("coverage", _("Coverage %(round)s", round=round_.name if round_ else ""),
                            layers.coverage_layer(area, round_.id if round_ else None, shift, shapes), P['coverage']))
        chosen.append(Layer("zero", _("Zero-incident villages %(start)s – %(end)s", start=start, end=end),
                            layers.zero_layer(area, start, end, shift, shapes), P['zero'], show=False))
        chosen.append(Layer("targets", _("Certified and revoked targets"), layers.targets_layer(area, user, shift),
                            P['targets']))
        chosen.append(Layer("warnings", _("Open warnings"), layers.warnings_layer(area, user, shift, utcnow()),
                            P['warnings'], show=False))
    else:
        chosen.append(Layer("households", _("My households"), layers.households_layer(user, shift), P['households'],
                            cluster=True))
    points = [f["geometry"] for layer in chosen for f in layer.data["features"]]
    bounds = _bounds(points)
    center = shift(area.lat, area.lon) if area.lat is not None else (33.3, 108.3)
    return area_map(center=center, zoom=11, layers=chosen, tiles=tiles, assets=_assets(), bounds=bounds,
                    legend_title=_("Coverage"), legend=coverage_legend(
                        {"none": _("no data"), "zero": _("no case"), "cases": _("cases")}))


def _bounds(geometries: list[dict]) -> list[list[float]] | None:
    lats, lons = [], []

    def walk(coordinates):
        if coordinates and isinstance(coordinates[0], (int, float)):
            lons.append(coordinates[0])
            lats.append(coordinates[1])
        else:
            for part in coordinates:
                walk(part)
    for geometry in geometries:
        walk(geometry["coordinates"])
    if not lats:
        return None
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


@bp.get("/<code>/frame")
@login_required
def frame(code: str):
    """The map document itself, shown in the page's frame (the one response that may be framed, by us)."""
    area = get_area_or_404(code)
    form, ok = period_from_args()
    if not ok:
        return _("The period is not valid."), 400
    html = build(area, current_user, round_=_round(area), start=form.start.data, end=form.end.data,
                 config=current_app.config).get_root().render()
    return html, {"X-Frame-Options": "SAMEORIGIN", "Content-Security-Policy": FRAME_CSP}


FRAME_CSP = ("default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; "
             "script-src 'self' 'unsafe-inline'; frame-ancestors 'self'; base-uri 'self'")


@bp.route("/boundaries/import", methods=["GET", "POST"])
@county_required
def import_boundaries_file():
    """Village (or any area's) boundaries as GeoJSON, matched by division code; all or nothing."""
    form = UploadForm()
    form.file.label.text = _("File (GeoJSON)")
    report = None
    if form.validate_on_submit():
        report = import_upload(form, lambda data: import_boundaries(
            data, scope_codes=current_user.scope_codes(), user=current_user))
        if report and report.ok:
            flash(_("%(n)s boundaries imported.", n=report.rows), "success")
            return redirect(url_for("maps.index"))
    return render_template("import_page.html", form=form, report=report, title=_("Import boundaries (GeoJSON)"),
                           accept=".geojson,.json,application/geo+json,application/json",
                           intro=_("A GeoJSON FeatureCollection in WGS-84: each feature a Polygon or MultiPolygon "
                                   "with its division code in properties.code. Every feature is checked first; if "
                                   "any has a problem, nothing is imported and every problem is listed."),
                           templates=[("GeoJSON", url_for("maps.boundaries_template"))]), status(form, report)


@bp.get("/boundaries/template.geojson")
@county_required
def boundaries_template():
    return json.dumps(EXAMPLE, ensure_ascii=False, indent=1), {
        "Content-Type": "application/geo+json", "Content-Disposition": "attachment; filename=boundaries.geojson"}
