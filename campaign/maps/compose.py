"""What one user's map of one area holds: the layers their role may see, popups in their language,
and the app's own copies of Leaflet. Needs a request context (url_for); the map itself is built by
``builders.area_map``."""
from __future__ import annotations

import json

from flask import url_for
from flask_babel import gettext as _

from campaign.core.types import utcnow
from campaign.rounds.models import Round
from campaign.visits.models import Outcome

from . import layers
from .builders import Assets, Key, Layer, area_map, coverage_legend, html_text
from .palettes import (
    CERTIFIED,
    HOUSEHOLD_STATUS,
    OUTLINE,
    OVERDUE,
    PIN_EDGE,
    REVOKED,
    SHAPES,
    WARNING,
    WITH_CASES,
    ZERO,
)
from .tiles import provider


def assets() -> Assets:
    """Leaflet and its plugins as the app serves them (Folium's CDN lists are never used)."""
    def static(path):
        return url_for("static", filename=path)
    return Assets(
        js=[("leaflet", static("vendor/leaflet/leaflet.js")),
            ("awesome_markers", static("vendor/leaflet-awesome-markers/leaflet.awesome-markers.min.js")),
            ("map_legends", static("js/map_legends.js"))],
        css=[("leaflet_css", static("vendor/leaflet/leaflet.css")),
             ("awesome_markers_css", static("vendor/leaflet-awesome-markers/leaflet.awesome-markers.css")),
             ("app_map_css", static("css/map.css"))],
        cluster_js=[("markerclusterjs", static("vendor/leaflet-markercluster/leaflet.markercluster.js"))],
        cluster_css=[("markerclustercss", static("vendor/leaflet-markercluster/MarkerCluster.css")),
                     ("markerclusterdefaultcss", static("vendor/leaflet-markercluster/MarkerCluster.Default.css"))])


def _js(text) -> str:
    """A JS string literal of the text as HTML text, like the properties it is joined with."""
    return json.dumps(html_text(text), ensure_ascii=False)


def _popups() -> dict[str, str]:
    """Popup builders (JS, run in the browser on the feature's properties p, whose text is already
    HTML text: see ``builders.html_text``)."""
    coverage, village = _js(_("Coverage")), _js(_("Open the village"))
    return {
        "coverage": "return '<strong>'+p.n+'</strong><br>'+" + coverage + "+': '+(p.v==null?'—':p.v+'%')"
                    "+' ('+p.r+' / '+p.s+')<br><a target=\"_top\" href=\"" + url_for("coverage.index")
                    + "'+p.k+'\">'+" + village + "+'</a>';",
        "zero": "return '<strong>'+p.n+'</strong><br>'+(p.x?" + _js(_("Cases")) + "+': '+p.x:"
                + _js(_("No case in the period")) + ")+'<br><a target=\"_top\" href=\"" + url_for(
                    "incidents.zero") + "?area='+p.k+'\">'+" + _js(_("Zero-incident figures")) + "+'</a>';",
        "targets": "return '<strong>'+p.n+'</strong><br>'+p.sl+(p.sn?' · '+p.sn:'')"
                   "+'<br><a target=\"_top\" href=\"" + url_for("creation.index") + "'+p.t+'\">'+"
                   + _js(_("Open the target")) + "+'</a>';",
        "warnings": "return '<strong>'+p.n+'</strong><br>'+p.l+(p.o?' · '+" + _js(_("overdue")) + ":'')"
                    "+'<br><a target=\"_top\" href=\"" + url_for("warnings.index") + "'+p.w+'\">'+"
                    + _js(_("Open the warning")) + "+'</a>';",
        "households": "return '<strong>'+p.n+'</strong><br>'+(p.sl||" + _js(_("Not yet visited")) + ");",
    }


def map_for(area, user, *, round_: Round | None, start, end, config):
    """The folium map of an area for this user: the layers their role may see."""
    tiles = provider(config)
    shift = tiles.shift
    popups = _popups()
    chosen = []
    if not user.is_worker:
        shapes = layers.shapes_for(area, shift)
        chosen.append(Layer("coverage", _("Coverage %(round)s", round=round_.name if round_ else ""),
                            layers.coverage_layer(area, round_.id if round_ else None, shift, shapes),
                            popups["coverage"], coverage_legend(_("no data")), SHAPES["coverage"], OUTLINE,
                            labels=True))
        chosen.append(Layer("zero", _("Zero-incident villages %(start)s – %(end)s", start=start, end=end),
                            layers.zero_layer(area, start, end, shift, shapes), popups["zero"],
                            [Key(ZERO, SHAPES["zero"], _("no case"), hollow=True),
                             Key(WITH_CASES, SHAPES["zero"], _("cases"), hollow=True)],
                            SHAPES["zero"], hollow=True, show=False, labels=True))
        chosen.append(Layer("targets", _("Certified and revoked targets"), layers.targets_layer(area, user, shift),
                            popups["targets"], [Key(CERTIFIED, SHAPES["certified"], _("Certified")),
                                                Key(REVOKED, SHAPES["revoked"], _("Revoked"))],
                            SHAPES["certified"], offset=(10, -10)))
        chosen.append(Layer("warnings", _("Open warnings"), layers.warnings_layer(area, user, shift, utcnow()),
                            popups["warnings"], [Key(WARNING, SHAPES["warnings"], _("Open")),
                                                 Key(OVERDUE, SHAPES["warnings"], _("overdue"))],
                            SHAPES["warnings"], offset=(-10, -10), show=False))
    else:
        title = _("My households · %(round)s", round=round_.name) if round_ else _("My households")
        chosen.append(Layer("households", title, layers.households_layer(user, shift, round_.id if round_ else None),
                            popups["households"], household_legend(), SHAPES["households"], PIN_EDGE,
                            cluster=True))
    points = [f["geometry"] for layer in chosen for f in layer.data["features"]]
    bounds = _bounds(points)
    center = shift(area.lat, area.lon) if area.lat is not None else (33.3, 108.3)
    return area_map(center=center, zoom=11, layers=chosen, tiles=tiles, assets=assets(), bounds=bounds)


def household_legend() -> list[Key]:
    """Where a household stands in the round, in the order a worker goes through them."""
    labels = {None: _("Not yet visited"), Outcome.NOT_HOME: _("Not home"), Outcome.REFUSED: _("Refused"),
              Outcome.REACHED: _("Reached and briefed"), Outcome.VACANT: _("Vacant or moved away")}
    return [Key(HOUSEHOLD_STATUS[status], SHAPES["households"], label) for status, label in labels.items()]


def _bounds(geometries: list[dict]) -> list[list[float]] | None:
    points = [p for geometry in geometries for p in layers.positions(geometry["coordinates"])]
    if not points:
        return None
    lons, lats = zip(*((p[0], p[1]) for p in points), strict=True)
    return [[min(lats), min(lons)], [max(lats), max(lons)]]
