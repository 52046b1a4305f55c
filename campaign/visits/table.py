"""The visits table (走访记录) for township officials and the county office: every visit inside the
user's area, filtered, sorted and paged, with a map of the filtered visits and an Excel export. The
queries, written for city scale, are in ``table_query``; the map's builder is ``table_map``."""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from campaign.accounts.access import managers_required
from campaign.accounts.models import User
from campaign.areas.models import Area, AreaLevel
from campaign.core.caching import no_store
from campaign.core.clock import zone
from campaign.core.csp import csp_nonce, policy
from campaign.core.exports import Sheet, xlsx_response
from campaign.core.inputs import parse_id
from campaign.core.text import mask_name
from campaign.coverage.exports import VISIT_COLUMNS
from campaign.extensions import db
from campaign.households.models import Household
from campaign.maps.builders import html_lang
from campaign.maps.builders import page as map_page
from campaign.maps.compose import assets
from campaign.maps.tiles import provider
from campaign.review.forms import ReviewForm
from campaign.review.states import REVIEW_ORDER
from campaign.rounds.access import rounds_query

from . import table_map
from .models import GEO_LABELS, OUTCOME_LABELS, RISK_FLAGS, RISK_LABELS, Visit
from .table_query import (
    GEO_ORDER,
    MAX_PAGES,
    OUTCOME_ORDER,
    PER_PAGE,
    Filters,
    count,
    filtered,
    load,
    ordered,
    page_ids,
    parse_filters,
    workers_in,
)

bp = Blueprint("visit_table", __name__, url_prefix="/visits")

MAP_CAP = 2_000
WORKER_CHOICES = 300  # workers listed in the filter's drop-down; above that, choose a smaller area first


def _area_choices(filters: Filters) -> list[tuple[Area, int]]:
    """The drop-down of areas: the way down from the user's area to the chosen one, then the chosen
    one's sub-areas (a level deeper), each with its depth for indenting."""
    root = current_user.scope_roots()[0]
    path = [a for a in filters.area.ancestors() if a.code.startswith(root.code)] + [filters.area]
    choices = [(a, depth) for depth, a in enumerate(path)]
    if filters.area.level is not AreaLevel.GRID:
        children = db.session.scalars(sa.select(Area).where(Area.parent_id == filters.area.id).order_by(Area.code))
        choices += [(child, len(path)) for child in children]
    return choices


def _worker_choices(filters: Filters) -> list[User] | None:
    """Workers of the chosen area for the drop-down, or None when there are too many to list."""
    workers = list(db.session.scalars(workers_in(filters.area).order_by(User.display_name, User.id)
                                      .limit(WORKER_CHOICES + 1)))
    if len(workers) > WORKER_CHOICES:
        return None if filters.worker is None else [filters.worker]
    if filters.worker is not None and filters.worker not in workers:
        workers.insert(0, filters.worker)
    return workers


def pager_numbers(page: int, last: int) -> list[int | None]:
    """Page numbers to link: the first two, the last two and two either side of ``page``; None for a gap."""
    shown = sorted({n for n in (1, 2, last - 1, last, *range(page - 2, page + 3)) if 1 <= n <= last})
    numbers: list[int | None] = []
    for n in shown:
        if numbers and n - numbers[-1] > 1:
            numbers.append(None)
        numbers.append(n)
    return numbers


@bp.get("/table")
@managers_required
@no_store
def index():
    """The table: filters, the count, 50 visits a page, and the map of the filtered visits in a frame."""
    filters = parse_filters()
    context = {"filters": filters, "areas": _area_choices(filters), "workers": _worker_choices(filters),
               "rounds": db.session.scalars(rounds_query()).all(), "outcomes": OUTCOME_ORDER, "geos": GEO_ORDER,
               "map_cap": MAP_CAP, "max_pages": MAX_PAGES, "reviews": REVIEW_ORDER,
               "review_form": ReviewForm(formdata=None, back=request.full_path)}
    if filters.errors:
        return render_template("visits/table.html", visits=[], count=None, page=1, numbers=[], **context), 400
    total = count(filters)
    known = total.pages
    page = min(parse_id(request.args.get("page")) or 1, known or MAX_PAGES, MAX_PAGES)
    visits = load(page_ids(filters, (page - 1) * PER_PAGE, PER_PAGE + 1))
    more = len(visits) > PER_PAGE
    last = min(known or (MAX_PAGES if total.source == "capped" else page + more), MAX_PAGES)
    return render_template("visits/table.html", visits=visits[:PER_PAGE], count=total, page=page, more=more,
                           numbers=pager_numbers(page, last) if last > 1 else [],
                           deeper=bool(known and known > MAX_PAGES), **context)


def map_dots(filters: Filters) -> list[table_map.Dot]:
    """The first ``MAP_CAP`` visits of the table's order, as dots with their text in the user's language."""
    ids = page_ids(filters, 0, MAP_CAP)
    rows = db.session.execute(
        sa.select(Visit.id, Visit.lat, Visit.lon, Visit.geo, Visit.visited_at, Visit.household_id,
                  Household.lat, Household.lon, Household.door_label, User.display_name, Visit.note)
        .join(Household, Household.id == Visit.household_id).join(User, User.id == Visit.worker_id)
        .where(Visit.id.in_(ids))).all()
    by_id = {r[0]: r for r in rows}
    local, labels = zone(), {geo: str(label) for geo, label in GEO_LABELS.items()}
    dots = []
    for visit_id in ids:
        _id, lat, lon, geo, at, household_id, home_lat, home_lon, door, worker, note = by_id[visit_id]
        home = (home_lat, home_lon) if home_lat is not None and home_lon is not None else None
        fixed = lat is not None and lon is not None
        if not fixed and home is None:
            continue
        lat, lon = (lat, lon) if fixed else home
        when = at.astimezone(local).strftime("%Y-%m-%d %H:%M")  # format_datetime costs 0.4 ms a dot
        detail = " · ".join(part for part in (when, worker, labels[geo], note) if part)
        dots.append(table_map.Dot(lat=lat, lon=lon, geo=geo, fixed=fixed, home=home, household_id=household_id,
                                  label=door, detail=detail))
    return dots


@bp.get("/table/map")
@managers_required
@no_store
def map_frame():
    """The map of the filtered visits, shown in the table page's frame (framed only by us)."""
    filters = parse_filters()
    if filters.errors:
        abort(400)
    dots = map_dots(filters)
    area = filters.area
    note = (_("The first %(n)s visits of the table are drawn.", n=f"{MAP_CAP:,}") if len(dots) >= MAP_CAP
            else _("%(n)s visits drawn.", n=f"{len(dots):,}"))
    m = table_map.visits_map(
        dots, tiles=provider(current_app.config), assets=assets(),
        center=(area.lat, area.lon) if area.lat is not None and area.lon is not None else (33.3, 108.3),
        titles={"visits": _("Visits by GPS class"), "households": _("Households"),
                "lines": _("From the GPS fix to the household"), "legend": _("GPS class")},
        legend=[(geo, geo.label) for geo in GEO_ORDER], note=note,
        household_link=url_for("households.show", household_id=0)[:-1])
    html = map_page(m, nonce=csp_nonce(), title=_("Map of these visits"), lang=html_lang(get_locale()))
    return html, {"X-Frame-Options": "SAMEORIGIN", "Content-Security-Policy": policy(frame_ancestors="'self'")}


def export_rows(filters: Filters):
    """Every visit of the filters in the table's order, as the coverage export's columns, streamed."""
    village = so.aliased(Area)
    query = ordered(filters, filtered(filters))
    if filters.sort != "household":
        query = query.join(Household, Household.id == Visit.household_id).join(Area, Area.id == Household.grid_id)
    if filters.sort != "worker":
        query = query.join(User, User.id == Visit.worker_id)
    query = (query.join(village, village.id == Area.parent_id).with_only_columns(
        Visit.visited_at, village.name, Area.name, Household.door_label, Household.head_name, Visit.outcome,
        Visit.people_briefed, Visit.app_installs, Visit.geo, Visit.distance_m, Visit.accuracy_m, Visit.too_fast,
        Visit.time_trusted, Visit.phone_time, Visit.clock_offset_ms, User.display_name, Visit.note,
        *(getattr(Visit, f"risk_{name}") for name in RISK_FLAGS)).execution_options(yield_per=2000))
    outcomes = {key: str(label) for key, label in OUTCOME_LABELS.items()}
    geos = {key: str(label) for key, label in GEO_LABELS.items()}
    too_fast, doubtful = _("too fast"), _("time in doubt")
    for (at, village_name, grid_name, door, head, outcome, briefed, installs, geo, distance, accuracy, fast, trusted,
         phone_time, offset_ms, worker, note, *flags) in db.session.execute(query):
        risks = "、".join(str(RISK_LABELS[name]) for name, on in zip(RISK_FLAGS, flags, strict=True) if on)
        yield (at, village_name, grid_name, door, mask_name(head), outcomes[outcome], briefed, installs, risks,
               geos[geo], distance, accuracy, too_fast if fast else "", "" if trusted else doubtful, phone_time,
               None if offset_ms is None else round(offset_ms / 1000), worker, note)


@bp.get("/table/export.xlsx")
@managers_required
def export():
    """The filtered table, every visit of it, with the columns of the coverage page's visit export."""
    filters = parse_filters()
    if filters.errors:
        abort(400)
    what = "存疑走访" if filters.flagged else "走访记录"
    return xlsx_response(f"{what}-{filters.area.name}.xlsx", [Sheet(what, VISIT_COLUMNS, export_rows(filters))])
