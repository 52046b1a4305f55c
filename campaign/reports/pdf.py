"""The report PDF builder: a :class:`Report` in, A4 PDF bytes out, in Chinese with embedded CJK fonts."""
from __future__ import annotations

import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within
from campaign.core.pdf import SANS, SERIF, render_pdf
from campaign.creation.certificates import issuer_for
from campaign.extensions import db
from campaign.jobs import runner
from campaign.maps.layers import coverage_colour, coverage_layer

from . import asof, charts
from .figures import STAGES, Report

# Beyond this many villages the map shows townships: thousands of dots say less and print slowly.
MAP_VILLAGES_MAX = 1500


def _no_shift(lat: float, lon: float) -> tuple[float, float]:
    return lat, lon


def map_features(report: Report) -> list[dict]:
    """Villages from the web map's own coverage layer, or the ranked townships for a large area."""
    villages = db.session.scalar(sa.select(sa.func.count()).select_from(Area).where(
        within(Area.code, report.area.code), Area.level == AreaLevel.VILLAGE))
    if villages <= MAP_VILLAGES_MAX:
        round_id = report.round.id if report.round else None
        return _as_of_end(report, coverage_layer(report.area, round_id, _no_shift)["features"])
    return [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [row.area.lon, row.area.lat]},
             "properties": {"c": coverage_colour(row.coverage.coverage)}}
            for row in report.rows if row.area.lat is not None and row.area.lon is not None]


def _as_of_end(report: Report, features: list[dict]) -> list[dict]:
    """Recolour the villages by their coverage at the period's end (the layer shows today's)."""
    if report.round is None or not features:
        return features
    length = len(features[0]["properties"]["k"])
    rosters = asof.rosters(report.area, length, report.end)
    tallies = asof.tallies_at(report.round.id, report.area, length, asof.end_instant(report.end))
    for feature in features:
        code = feature["properties"]["k"]
        tally = tallies.get(code, {})
        in_scope = max(rosters.get(code, asof.Roster()).households - tally.get("vacant", 0), 0)
        reached = tally.get("reached", 0)
        coverage = reached / in_scope if in_scope else None
        feature["properties"].update(c=coverage_colour(coverage), r=reached, s=in_scope,
                                     v=None if coverage is None else round(coverage * 100, 1))
    return features


def report_html(report: Report) -> str:
    """The report as the HTML WeasyPrint prints: charts and map inline as SVG."""
    with force_locale("zh_CN"):
        runner.stage(6, STAGES, _l("Drawing the charts and the map"))
        svg = {"weekly": charts.weekly_coverage_svg(report.weekly) if report.weekly else "",
               "monthly": charts.monthly_cases_svg(report.monthly),
               "map": charts.coverage_map_svg(map_features(report))}
        return render_template("reports/report_pdf.html", report=report, svg=svg, issuer=issuer_for(report.area),
                               statuses=asof.status_columns(report.targets),
                               status_label=asof.status_label, serif=SERIF, sans=SANS)


def report_pdf(report: Report) -> bytes:
    html = report_html(report)
    runner.stage(7, STAGES, _l("Printing the PDF"))
    return render_pdf(html)
