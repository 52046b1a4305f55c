"""The visits table (走访记录) for township officials and the county office: every visit inside the
user's area, filtered, sorted and paged, with a map of the filtered visits and an Excel export.

City scale (6 million visits) shapes the queries (bench/visit_table.py):
- a page reads the ids of its 50 visits first, then loads those 50 with their households and workers;
- an area of few households (a township, a village, a grid) is read through its households' visits;
  a wide one (a county, a city) along a time index, newest first, where matches come quickly;
- outcome and GPS class sort as one index-ordered run per value, one run after another;
- the count is the grid tallies' sum when no filter needs the visits themselves; otherwise the
  visits are counted up to ``COUNT_CAP`` within ``COUNT_BUDGET_MS``, and the page says which.
"""
from __future__ import annotations

import math
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from campaign.accounts.access import managers_required
from campaign.accounts.models import Role, User, user_grid
from campaign.areas.access import get_area_or_404
from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within
from campaign.core.caching import no_store
from campaign.core.clock import day_bounds
from campaign.core.csp import csp_nonce, policy
from campaign.core.errors import DomainError
from campaign.core.exports import xlsx_response
from campaign.core.inputs import parse_date, parse_id
from campaign.extensions import db
from campaign.households.models import Household
from campaign.rounds.access import rounds_query
from campaign.rounds.models import Round

from . import table_map
from .access import visits_query
from .models import GeoCheck, GridTally, Outcome, Visit

bp = Blueprint("visit_table", __name__, url_prefix="/visits")

PER_PAGE = 50
COUNT_CAP = 10_000
COUNT_BUDGET_MS = 400
MAP_CAP = 2_000
WORKER_CHOICES = 300  # workers listed in the filter's drop-down; above that, choose a smaller area first
# An area with at most this many households is read through its households' visits (an index lookup
# per household, then a sort); a wider one along the time index.
NARROW_HOUSEHOLDS = 25_000

# Sort keys (whitelisted) with the direction each starts in.
SORTS = {"time": True, "worker": False, "household": False, "outcome": False, "geo": False}
# Categories in the order a sort shows them: outcome as the phone offers them, GPS class best first.
OUTCOME_ORDER = [Outcome.REACHED, Outcome.NOT_HOME, Outcome.REFUSED, Outcome.VACANT]
GEO_ORDER = [GeoCheck.GREEN, GeoCheck.AMBER, GeoCheck.COARSE, GeoCheck.UNKNOWN, GeoCheck.GREY, GeoCheck.RED]
# A GPS class or signal filter the grid tallies count, when it is the only visit-level filter.
TALLIED = {"flagged": GridTally.flagged, "too_fast": GridTally.too_fast, "untrusted": GridTally.untrusted_time,
           GeoCheck.RED: GridTally.far, GeoCheck.GREY: GridTally.no_fix, GeoCheck.COARSE: GridTally.coarse_fix}


@dataclass
class Filters:
    """What the table shows: an area inside the user's scope and the visit-level filters."""

    area: Area
    round: Round | None = None
    worker: User | None = None
    outcome: Outcome | None = None
    geo: GeoCheck | None = None
    too_fast: bool = False
    flagged: bool = False
    untrusted: bool = False
    start: date | None = None
    end: date | None = None
    sort: str = "time"
    descending: bool = True
    errors: dict[str, str] = field(default_factory=dict)

    def args(self, **changes) -> dict:
        """The query string that shows this table again (with ``changes``), for links and the pager."""
        values = {
            "area": self.area.code, "round": self.round.id if self.round else None,
            "worker": self.worker.id if self.worker else None, "outcome": self.outcome.value if self.outcome else None,
            "geo": self.geo.value if self.geo else None, "too_fast": 1 if self.too_fast else None,
            "flagged": 1 if self.flagged else None, "untrusted": 1 if self.untrusted else None,
            "start": self.start.isoformat() if self.start else None, "end": self.end.isoformat() if self.end else None,
            "sort": None if self.sort == "time" else self.sort,
            "order": None if self.descending == SORTS[self.sort] else ("desc" if self.descending else "asc"),
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v is not None}

    def sorted_by(self, key: str) -> dict:
        """The query string of this table sorted by ``key``; the sorted column's link turns its direction."""
        descending = not self.descending if key == self.sort else SORTS[key]
        return self.args(sort=None if key == "time" else key, page=None,
                         order=None if descending == SORTS[key] else ("desc" if descending else "asc"))

    @property
    def visit_level(self) -> list:
        """The filters that only the visits themselves can answer, each as a tally key where one exists."""
        chosen = [self.worker, self.outcome, self.start, self.end]
        tallied = [key for key, on in (("flagged", self.flagged), ("too_fast", self.too_fast),
                                       ("untrusted", self.untrusted)) if on]
        return [value for value in chosen if value is not None] + tallied + ([self.geo] if self.geo else [])


def _choice(enum_cls, name: str, errors: dict):
    text = request.args.get(name, "")
    if not text:
        return None
    try:
        return enum_cls(text)
    except ValueError:
        errors[name] = _("Choose one of the listed values.")
        return None


def _day(name: str, errors: dict) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return parse_date(text, field=name)
    except DomainError as error:
        errors[name] = str(error)
        return None


def workers_in(area: Area) -> sa.Select:
    """Grid workers with a grid inside ``area``."""
    grids = (sa.select(user_grid.c.user_id).join(Area, Area.id == user_grid.c.area_id)
             .where(within(Area.code, area.code)))
    return sa.select(User).where(User.role == Role.WORKER, User.id.in_(grids))


def parse_filters() -> Filters:
    """The filters in the query string. An area, round or worker outside the user's scope is a 404; a
    value that is not one is kept as an error to show beside its field."""
    scope = current_user.scope_roots()
    area = get_area_or_404(request.args.get("area", "")) if request.args.get("area") else scope[0]
    errors: dict[str, str] = {}
    filters = Filters(area=area, errors=errors)
    if request.args.get("round"):
        round_id = parse_id(request.args["round"])
        filters.round = db.session.scalar(rounds_query().where(Round.id == round_id)) if round_id else None
        if filters.round is None:
            abort(404)
    if request.args.get("worker"):
        worker_id = parse_id(request.args["worker"])
        filters.worker = db.session.scalar(workers_in(scope[0]).where(User.id == worker_id)) if worker_id else None
        if filters.worker is None:
            abort(404)
    filters.outcome = _choice(Outcome, "outcome", errors)
    filters.geo = _choice(GeoCheck, "geo", errors)
    filters.too_fast, filters.flagged, filters.untrusted = (request.args.get(name) == "1"
                                                            for name in ("too_fast", "flagged", "untrusted"))
    filters.start, filters.end = _day("start", errors), _day("end", errors)
    if filters.start and filters.end and filters.end < filters.start:
        errors["end"] = _("The period ends before it starts.")
    sort = request.args.get("sort", "time")
    filters.sort = sort if sort in SORTS else "time"
    order = request.args.get("order")
    filters.descending = SORTS[filters.sort] if order not in ("asc", "desc") else order == "desc"
    return filters


# The query ----------------------------------------------------------------------------------------

def _narrow(filters: Filters) -> bool:
    return filters.area.household_count <= NARROW_HOUSEHOLDS


def filtered(filters: Filters) -> sa.Select:
    """Visits of the filters, unordered. A narrow area is read through its households' visits."""
    if _narrow(filters):
        households = (sa.select(Household.id).join(Area, Area.id == Household.grid_id)
                      .where(within(Area.code, filters.area.code)))
        query = (sa.select(Visit).join(Household, Household.id == Visit.household_id)
                 .join(Area, Area.id == Household.grid_id).where(Visit.household_id.in_(households)))
    else:
        query = visits_query(current_user, area=filters.area)
    if filters.round is not None:
        query = query.where(Visit.round_id == filters.round.id)
    if filters.worker is not None:
        query = query.where(Visit.worker_id == filters.worker.id)
    if filters.outcome is not None:
        query = query.where(Visit.outcome == filters.outcome)
    if filters.geo is not None:
        query = query.where(Visit.geo == filters.geo)
    if filters.too_fast:
        query = query.where(Visit.too_fast == sa.true())
    if filters.untrusted:
        query = query.where(Visit.time_trusted == sa.false())
    if filters.flagged:
        query = query.where(Visit.flagged)
    if filters.start:
        query = query.where(Visit.visited_at >= day_bounds(filters.start, filters.start)[0])
    if filters.end:
        query = query.where(Visit.visited_at < day_bounds(filters.end, filters.end)[1])
    return query


def _time_order(descending: bool) -> list:
    return [Visit.visited_at.desc(), Visit.id.desc()] if descending else [Visit.visited_at, Visit.id]


def _ordered(filters: Filters, query: sa.Select) -> sa.Select:
    """``query`` in the table's order (time within each worker or household, newest first)."""
    def way(column):
        return column.desc() if filters.descending else column
    if filters.sort == "worker":
        return (query.join(User, User.id == Visit.worker_id)
                .order_by(way(User.display_name), way(User.id), *_time_order(True)))
    if filters.sort == "household":
        return query.order_by(way(Area.code), way(Household.door_label), way(Household.id), *_time_order(True))
    if filters.sort in ("outcome", "geo"):
        column, order = _category(filters)
        ranks = sa.case({value: rank for rank, value in enumerate(order)}, value=column)
        return query.order_by(ranks, *_time_order(True))
    return query.order_by(*_time_order(filters.descending))


def _category(filters: Filters) -> tuple:
    column, order = (Visit.outcome, OUTCOME_ORDER) if filters.sort == "outcome" else (Visit.geo, GEO_ORDER)
    return column, order[::-1] if filters.descending else order


def page_ids(filters: Filters, offset: int, limit: int) -> list[int]:
    """The ids of one page of visits, in the table's order."""
    query = filtered(filters).with_only_columns(Visit.id)
    if filters.sort not in ("outcome", "geo") or _narrow(filters):
        return list(db.session.scalars(_ordered(filters, query).offset(offset).limit(limit)))
    # One run per category, each newest first along its (category, time) index, the runs one after another.
    column, order = _category(filters)
    fixed = filters.outcome if filters.sort == "outcome" else filters.geo
    runs = []
    for rank, value in enumerate(order):
        if fixed is not None and value != fixed:
            continue
        run = (query.add_columns(Visit.visited_at, sa.literal(rank).label("rank")).where(column == value)
               .order_by(*_time_order(True)).limit(offset + limit).subquery())
        runs.append(sa.select(run.c.id, run.c.visited_at, run.c.rank))
    joined = sa.union_all(*runs).subquery()
    return list(db.session.scalars(sa.select(joined.c.id).order_by(
        joined.c.rank, joined.c.visited_at.desc(), joined.c.id.desc()).offset(offset).limit(limit)))


def load(ids: list[int]) -> list[Visit]:
    """The visits with these ids, in this order, with what a row shows."""
    if not ids:
        return []
    visits = {v.id: v for v in db.session.scalars(
        sa.select(Visit).where(Visit.id.in_(ids)).options(
            so.joinedload(Visit.household).joinedload(Household.grid), so.joinedload(Visit.worker)))}
    return [visits[i] for i in ids if i in visits]


# The count ----------------------------------------------------------------------------------------

@dataclass
class Count:
    """How many visits the filters hold: ``exact``, at least ``value`` (``capped``), or not counted."""

    value: int | None
    source: str  # "tallies", "visits", "capped" or "skipped"

    @property
    def pages(self) -> int | None:
        return None if self.value is None else max(1, math.ceil(self.value / PER_PAGE))


def tally_count(filters: Filters) -> int | None:
    """The count from the grid tallies, when no filter needs the visits themselves; otherwise None."""
    chosen = filters.visit_level
    if len(chosen) > 1 or (chosen and chosen[0] not in TALLIED):
        return None
    column = TALLIED[chosen[0]] if chosen else GridTally.visits
    query = (sa.select(sa.func.coalesce(sa.func.sum(column), 0)).join(Area, Area.id == GridTally.grid_id)
             .where(within(Area.code, filters.area.code)))
    if filters.round is not None:
        query = query.where(GridTally.round_id == filters.round.id)
    return int(db.session.scalar(query))


class TooSlow(Exception):
    pass


@contextmanager
def time_limit(milliseconds: int):
    """Stop the statements run inside after ``milliseconds`` with TooSlow; the session stays usable."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        savepoint = connection.begin_nested()
        connection.execute(sa.text(f"SET LOCAL statement_timeout = {int(milliseconds)}"))
        try:
            yield
        except sa.exc.OperationalError as error:
            savepoint.rollback()
            if "statement timeout" in str(error.orig):
                raise TooSlow from error
            raise
        else:
            savepoint.rollback()  # ends SET LOCAL with it; nothing was written
        return
    raw = connection.connection.driver_connection
    deadline = time.monotonic() + milliseconds / 1000
    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        yield
    except sa.exc.OperationalError as error:
        if isinstance(error.orig, sqlite3.OperationalError) and "interrupted" in str(error.orig):
            raise TooSlow from error
        raise
    finally:
        raw.set_progress_handler(None, 0)


def count(filters: Filters) -> Count:
    tallied = tally_count(filters)
    if tallied is not None:
        return Count(tallied, "tallies")
    capped = filtered(filters).with_only_columns(Visit.id).limit(COUNT_CAP + 1).subquery()
    try:
        with time_limit(current_app.config.get("VISIT_COUNT_BUDGET_MS", COUNT_BUDGET_MS)):
            found = db.session.scalar(sa.select(sa.func.count()).select_from(capped))
    except TooSlow:
        return Count(None, "skipped")
    return Count(COUNT_CAP, "capped") if found > COUNT_CAP else Count(found, "visits")


# The pages ----------------------------------------------------------------------------------------

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


MAX_PAGES = COUNT_CAP // PER_PAGE  # deeper pages would read ever more rows: sort the other way instead


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
               "count_cap": COUNT_CAP, "map_cap": MAP_CAP, "max_pages": MAX_PAGES}
    if filters.errors:
        return render_template("visits/table.html", visits=[], count=None, page=1, numbers=[], **context), 400
    total = count(filters)
    known = total.pages if total.source in ("tallies", "visits") else None
    page = min(parse_id(request.args.get("page")) or 1, known or MAX_PAGES, MAX_PAGES)
    visits = load(page_ids(filters, (page - 1) * PER_PAGE, PER_PAGE + 1))
    more = len(visits) > PER_PAGE
    last = min(known or (MAX_PAGES if total.source == "capped" else page + more), MAX_PAGES)
    return render_template("visits/table.html", visits=visits[:PER_PAGE], count=total, page=page, more=more,
                           numbers=pager_numbers(page, last) if last > 1 else [],
                           deeper=bool(known and known > MAX_PAGES), **context)


def map_dots(filters: Filters) -> list[table_map.Dot]:
    """The first ``MAP_CAP`` visits of the table's order, as dots with their text in the user's language."""
    from flask_babel import format_datetime

    ids = page_ids(filters, 0, MAP_CAP)
    rows = db.session.execute(
        sa.select(Visit.id, Visit.lat, Visit.lon, Visit.geo, Visit.visited_at, Visit.household_id,
                  Household.lat, Household.lon, Household.door_label, User.display_name, Visit.note)
        .join(Household, Household.id == Visit.household_id).join(User, User.id == Visit.worker_id)
        .where(Visit.id.in_(ids))).all()
    by_id = {r[0]: r for r in rows}
    dots = []
    for visit_id in ids:
        _id, lat, lon, geo, at, household_id, home_lat, home_lon, door, worker, note = by_id[visit_id]
        home = (home_lat, home_lon) if home_lat is not None and home_lon is not None else None
        fixed = lat is not None and lon is not None
        if not fixed and home is None:
            continue
        lat, lon = (lat, lon) if fixed else home
        detail = " · ".join(part for part in (format_datetime(at, "short"), worker, geo.label, note) if part)
        dots.append(table_map.Dot(lat=lat, lon=lon, geo=geo, fixed=fixed, home=home, household_id=household_id,
                                  label=door, detail=detail))
    return dots


@bp.get("/table/map")
@managers_required
@no_store
def map_frame():
    """The map of the filtered visits, shown in the table page's frame (framed only by us)."""
    from campaign.maps.builders import page
    from campaign.maps.compose import assets
    from campaign.maps.tiles import provider

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
    return page(m, nonce=csp_nonce()), {"X-Frame-Options": "SAMEORIGIN",
                                        "Content-Security-Policy": policy(frame_ancestors="'self'")}


def export_rows(filters: Filters):
    """Every visit of the filters in the table's order, as the coverage export's columns, streamed."""
    from campaign.core.text import mask_name
    from campaign.visits.models import GEO_LABELS, OUTCOME_LABELS, RISK_FLAGS, RISK_LABELS

    village = so.aliased(Area)
    query = (_ordered(filters, filtered(filters)).with_only_columns(
        Visit.visited_at, village.name, Area.name, Household.door_label, Household.head_name, Visit.outcome,
        Visit.people_briefed, Visit.app_installs, Visit.geo, Visit.distance_m, Visit.accuracy_m, Visit.too_fast,
        Visit.time_trusted, Visit.phone_time, Visit.clock_offset_ms, User.display_name, Visit.note,
        *(getattr(Visit, f"risk_{name}") for name in RISK_FLAGS))
        .join(village, village.id == Area.parent_id).execution_options(yield_per=2000))
    if filters.sort != "worker":
        query = query.join(User, User.id == Visit.worker_id)
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
    """The filtered table, every visit of it, as the coverage page's visit export."""
    from campaign.core.exports import Sheet
    from campaign.coverage.exports import VISIT_COLUMNS

    filters = parse_filters()
    if filters.errors:
        abort(400)
    what = "存疑走访" if filters.flagged else "走访记录"
    return xlsx_response(f"{what}-{filters.area.name}.xlsx", [Sheet(what, VISIT_COLUMNS, export_rows(filters))])
