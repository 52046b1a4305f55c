"""The report PDF builder: a :class:`Report` in, A4 PDF bytes out, in Chinese with embedded CJK fonts,
in the layout of an official document (党政机关公文格式)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within
from campaign.core.pdf import SANS, SERIF, render_pdf
from campaign.extensions import db
from campaign.jobs import runner
from campaign.maps.layers import coverage_colour, coverage_layer, positions

from . import asof, charts, typeset
from .figures import STAGES, Report
from .models import DocumentNumber
from .names import display_names
from .numbers import settings_for
from .periods import period_title

# Beyond this many villages the map shows townships: thousands of dots say less and print slowly.
MAP_VILLAGES_MAX = 1500
MAP_VILLAGE_LABELS_MAX = 300  # beyond this the villages' names would be too small to read


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
             "properties": {"c": coverage_colour(row.coverage.coverage), "k": row.area.code, "n": row.area.name}}
            for row in report.rows if row.area.lat is not None and row.area.lon is not None]


def map_labels(report: Report, features: list[dict], names: dict[str, str]) -> list[charts.Label]:
    """The ranked areas' names at the middle of their villages (or at their own point); in a county's
    map the villages' names too, those that repeat with their township's."""
    where: dict[str, list] = {}
    for feature in features:
        code = feature["properties"].get("k", "")
        row_code = next((c for c in names if code.startswith(c)), None)
        if row_code is not None:
            where.setdefault(row_code, []).extend(positions(feature["geometry"]["coordinates"]))
    labels = []
    for code, points in where.items():
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        labels.append(charts.Label((min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2, names[code]))
    villages = [f for f in features if len(f["properties"].get("k", "")) == 12 and f["properties"]["k"] not in names]
    if villages and len(villages) <= MAP_VILLAGE_LABELS_MAX:
        village_names = display_names((f["properties"]["k"], f["properties"]["n"]) for f in villages)
        for feature in villages:
            points = list(positions(feature["geometry"]["coordinates"]))
            lons, lats = [p[0] for p in points], [p[1] for p in points]
            labels.append(charts.Label(sum(lons) / len(lons), sum(lats) / len(lats),
                                       village_names[feature["properties"]["k"]], major=False))
    return labels


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


def report_html(report: Report, document: DocumentNumber | None = None) -> str:
    """The report as the HTML WeasyPrint prints, laid out as an official document (GB/T 9704-2012):
    red masthead, document number, red rule, title, main text, office and date; the ranking as an
    attachment on landscape pages. Charts and map inline as SVG."""
    with force_locale("zh_CN"):
        runner.stage(6, STAGES, _l("Drawing the charts and the map"))
        names = display_names((row.area.code, row.area.name) for row in report.rows)
        features = map_features(report)
        svg = {"weekly": charts.weekly_coverage_svg(report.weekly) if report.weekly else "",
               "monthly": charts.monthly_cases_svg(report.monthly),
               "map": charts.coverage_map_svg(features, map_labels(report, features, names))}
        office = document.office if document else settings_for(report.area).office
        period = period_title(report.start, report.end)
        title = _("%(area)s, %(period)s: anti-fraud campaign progress report", area=report.area.name, period=period)
        hit = [v for v in report.zero.villages if v.id in report.zero.villages_with_cases]
        return render_template(
            "reports/report_pdf.html", report=report, svg=svg, names=names, document=document, office=office,
            masthead=typeset.masthead(_("%(office)s Document", office=office)),
            title_lines=typeset.balanced_lines(title, keep=(report.area.name, period)),
            issued_on=document.issued_on if document else report.issued_on, hit=hit,
            hit_names=display_names((v.code, v.name) for v in hit), measures=typeset,
            statuses=asof.status_columns(report.targets), status_label=asof.status_label, serif=SERIF, sans=SANS)


def report_pdf(report: Report, document: DocumentNumber | None = None) -> bytes:
    html = report_html(report, document)
    runner.stage(7, STAGES, _l("Printing the PDF"))
    return render_pdf(html)
