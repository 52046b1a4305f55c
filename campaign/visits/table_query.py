"""The visits table's filters, order, pages and count, written for city scale (6 million visits;
bench/visit_table.py):

- a page reads the ids of its visits first, then loads those 50 with their households and workers;
- ``access.visits_query`` reads a narrow area through its households and a wide one along an index;
- outcome and GPS class sort as one index-ordered run per value, the runs one after another;
- the count is the grid tallies' sum when no filter needs the visits themselves; otherwise the visits
  are counted up to ``COUNT_CAP`` within ``COUNT_BUDGET_MS``, and the page says which.
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
from flask import abort, current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from campaign.accounts.models import Role, User, user_grid
from campaign.areas.access import get_area_or_404
from campaign.areas.models import Area
from campaign.areas.scope import within
from campaign.core.clock import day_bounds
from campaign.core.errors import DomainError
from campaign.core.inputs import parse_date, parse_id
from campaign.extensions import db
from campaign.households.models import Household
from campaign.review.states import ReviewState
from campaign.rounds.access import rounds_query
from campaign.rounds.models import Round

from .access import is_narrow, visits_query
from .models import FLAGGED_GEO, GeoCheck, GridTally, Outcome, Visit

PER_PAGE = 50
COUNT_CAP = 10_000
COUNT_BUDGET_MS = 400
MAX_PAGES = COUNT_CAP // PER_PAGE  # deeper pages read ever more rows: sort the other way instead

# Sort keys (whitelisted) with the direction each starts in (True: descending).
SORTS = {"time": True, "worker": False, "household": False, "outcome": False, "geo": False}
# Categories in the order a sort shows them: outcomes as the phone offers them, GPS classes best first.
OUTCOME_ORDER = [Outcome.REACHED, Outcome.NOT_HOME, Outcome.REFUSED, Outcome.VACANT]
GEO_ORDER = [GeoCheck.GREEN, GeoCheck.AMBER, GeoCheck.COARSE, GeoCheck.UNKNOWN, GeoCheck.GREY, GeoCheck.RED]
# The filters the grid tallies count, when one of them is the only filter on the visits themselves.
TALLIED = {"flagged": GridTally.flagged, "too_fast": GridTally.too_fast, "untrusted": GridTally.untrusted_time,
           GeoCheck.RED: GridTally.far, GeoCheck.GREY: GridTally.no_fix, GeoCheck.COARSE: GridTally.coarse_fix}


@dataclass
class Filters:
    """What the table shows: an area inside the user's scope, the filters on the visits, and the order."""

    area: Area
    round: Round | None = None
    worker: User | None = None
    outcome: Outcome | None = None
    geo: GeoCheck | None = None
    review: ReviewState | None = None
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
            "geo": self.geo.value if self.geo else None, "review": self.review.value if self.review else None,
            "too_fast": 1 if self.too_fast else None,
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

    def can_sort(self, key: str) -> bool:
        """Sorting a wide area by worker would read every visit of it (a worker's visits may lie anywhere
        in the area): it waits until a township, a village or a worker is chosen."""
        return key != "worker" or is_narrow(self.area) or self.worker is not None

    @property
    def visit_level(self) -> list:
        """The filters only the visits themselves can answer; a tallied one as its ``TALLIED`` key."""
        chosen = [value for value in (self.worker, self.outcome, self.review, self.start, self.end)
                  if value is not None]
        signals = [key for key, on in (("flagged", self.flagged), ("too_fast", self.too_fast),
                                       ("untrusted", self.untrusted)) if on]
        return chosen + signals + ([self.geo] if self.geo else [])


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
    if not scope:
        abort(404)
    area = get_area_or_404(request.args["area"]) if request.args.get("area") else scope[0]
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
    filters.review = _choice(ReviewState, "review", errors)
    filters.too_fast, filters.flagged, filters.untrusted = (request.args.get(name) == "1"
                                                            for name in ("too_fast", "flagged", "untrusted"))
    filters.start, filters.end = _day("start", errors), _day("end", errors)
    if filters.start and filters.end and filters.end < filters.start:
        errors["end"] = _("The period ends before it starts.")
    sort = request.args.get("sort", "time")
    filters.sort = sort if sort in SORTS and filters.can_sort(sort) else "time"
    order = request.args.get("order")
    filters.descending = SORTS[filters.sort] if order not in ("asc", "desc") else order == "desc"
    return filters


def filtered(filters: Filters) -> sa.Select:
    """The visits of the filters, unordered, as a query on ``visit`` alone."""
    query = visits_query(current_user, area=filters.area)
    if filters.round is not None:
        query = query.where(Visit.round_id == filters.round.id)
    if filters.worker is not None:
        query = query.where(Visit.worker_id == filters.worker.id)
    if filters.outcome is not None:
        query = query.where(Visit.outcome == filters.outcome)
    if filters.geo is not None:
        query = query.where(Visit.geo == filters.geo)
    if filters.review is not None:
        query = query.where(Visit.review_state == filters.review)
    if filters.too_fast:  # "= 1" / "= true", which the partial indexes' conditions match
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


def _category(filters: Filters) -> tuple:
    column, order = (Visit.outcome, OUTCOME_ORDER) if filters.sort == "outcome" else (Visit.geo, GEO_ORDER)
    return column, order[::-1] if filters.descending else order


def ordered(filters: Filters, query: sa.Select) -> sa.Select:
    """``query`` in the table's order; visits of one worker, household or category newest first."""
    def way(column):
        return column.desc() if filters.descending else column
    if filters.sort == "worker":  # by user name, which people type in pinyin or as a code
        return query.join(User, User.id == Visit.worker_id).order_by(way(User.username), *_time_order(True))
    if filters.sort == "household":  # the area range again, so that a wide area is walked in code order
        return (query.join(Household, Household.id == Visit.household_id).join(Area, Area.id == Household.grid_id)
                .where(within(Area.code, filters.area.code))
                .order_by(way(Area.code), way(Household.door_label), *_time_order(True)))
    if filters.sort in ("outcome", "geo"):
        column, order = _category(filters)
        return query.order_by(sa.case(*((column == value, rank) for rank, value in enumerate(order))),
                              *_time_order(True))
    return query.order_by(*_time_order(filters.descending))


def page_query(filters: Filters, offset: int, limit: int) -> sa.Select:
    """The ids of one page of visits, in the table's order."""
    query = filtered(filters).with_only_columns(Visit.id)
    if filters.sort not in ("outcome", "geo") or is_narrow(filters.area):
        return ordered(filters, query).offset(offset).limit(limit)
    # A wide area: one run per category along its (category, time) index, the runs one after another.
    column, order = _category(filters)
    fixed = filters.outcome if filters.sort == "outcome" else filters.geo
    runs = []
    for rank, value in enumerate(order):
        if fixed is None or value == fixed:
            runs.append(_category_run(filters, query, column, value, rank, offset + limit))
    joined = sa.union_all(*runs).subquery()
    return (sa.select(joined.c.id).order_by(joined.c.rank, joined.c.visited_at.desc(), joined.c.id.desc())
            .offset(offset).limit(limit))


def _category_run(filters: Filters, query: sa.Select, column, value, rank: int, limit: int) -> sa.Select:
    """The newest ``limit`` visits of one category, ranked. With the honesty-signal filter, a GPS class
    that is no signal itself holds only the rare too-fast or doubtful-time visits: walking the class's
    index would pass millions of clean ones, so those two partial indexes are walked instead (the class
    compared through an expression, which keeps the planner off its own index)."""
    def run(where) -> sa.Select:
        part = (query.add_columns(Visit.visited_at, sa.literal(rank).label("rank")).where(*where)
                .order_by(*_time_order(True)).limit(limit).subquery())
        return sa.select(part.c.id, part.c.visited_at, part.c.rank)

    if not (filters.flagged and column is Visit.geo and value not in FLAGGED_GEO):
        return run([column == value])
    same_class = sa.func.coalesce(Visit.geo, Visit.geo) == value
    both = sa.union(run([same_class, Visit.too_fast == sa.true()]),
                    run([same_class, Visit.time_trusted == sa.false()])).subquery()
    newest = (sa.select(both.c.id, both.c.visited_at, both.c.rank)
              .order_by(both.c.visited_at.desc(), both.c.id.desc()).limit(limit).subquery())
    return sa.select(newest.c.id, newest.c.visited_at, newest.c.rank)


def page_ids(filters: Filters, offset: int, limit: int) -> list[int]:
    return list(db.session.scalars(page_query(filters, offset, limit)))


def load(ids: list[int]) -> list[Visit]:
    """The visits with these ids, in this order, with what a row shows."""
    if not ids:
        return []
    visits = {v.id: v for v in db.session.scalars(
        sa.select(Visit).where(Visit.id.in_(ids)).options(
            so.joinedload(Visit.household).joinedload(Household.grid), so.joinedload(Visit.worker)))}
    return [visits[i] for i in ids if i in visits]


@dataclass
class Count:
    """How many visits the filters hold: ``value`` (exact from the tallies or the visits, or the cap
    when there are more), or None when counting would have taken too long."""

    value: int | None
    source: str  # "tallies", "visits", "capped" or "skipped"

    @property
    def exact(self) -> bool:
        return self.source in ("tallies", "visits")

    @property
    def pages(self) -> int | None:
        return max(1, math.ceil(self.value / PER_PAGE)) if self.exact else None


def tally_query(filters: Filters) -> sa.Select | None:
    """The count as a sum of the grid tallies, when no filter needs the visits themselves; else None."""
    chosen = filters.visit_level
    if len(chosen) > 1 or (chosen and chosen[0] not in TALLIED):
        return None
    column = TALLIED[chosen[0]] if chosen else GridTally.visits
    query = (sa.select(sa.func.coalesce(sa.func.sum(column), 0)).join(Area, Area.id == GridTally.grid_id)
             .where(within(Area.code, filters.area.code)))
    return query.where(GridTally.round_id == filters.round.id) if filters.round is not None else query


def capped_query(filters: Filters) -> sa.Select:
    """The visits of the filters counted one by one, up to one more than ``COUNT_CAP``."""
    return sa.select(sa.func.count()).select_from(
        filtered(filters).with_only_columns(Visit.id).limit(COUNT_CAP + 1).subquery())


class TooSlow(Exception):
    """A statement ran past its time limit and was stopped."""


@contextmanager
def time_limit(milliseconds: int):
    """Stop the statements run inside after ``milliseconds`` with TooSlow; the session stays usable.
    PostgreSQL: ``statement_timeout`` inside a savepoint; SQLite: a progress handler that interrupts."""
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
            savepoint.rollback()  # takes SET LOCAL back with it; nothing was written
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
    tallies = tally_query(filters)
    if tallies is not None:
        return Count(int(db.session.scalar(tallies)), "tallies")
    try:
        with time_limit(current_app.config.get("VISIT_COUNT_BUDGET_MS", COUNT_BUDGET_MS)):
            found = db.session.scalar(capped_query(filters))
    except TooSlow:
        return Count(None, "skipped")
    return Count(COUNT_CAP, "capped") if found > COUNT_CAP else Count(found, "visits")
