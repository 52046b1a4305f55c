"""A round's coverage day by day against the last round's, as the home page draws it: cumulative, each
household counted once, on the local day of the visit that first reached it.

Today's figure is the tallies'. The days before today are counted from the visits, once a day per area
and round, and kept in this process: a township's take a fraction of a second, a county's seconds and a
city's (6 million visits) 15 s and more, so an area with more than ``INLINE_HOUSEHOLDS`` households (or
the app's ``DASHBOARD_INLINE_HOUSEHOLDS``) is counted in a background thread while the page shows its other
figures and fetches the chart when it is ready.
"""
from __future__ import annotations

import logging
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import accumulate

import sqlalchemy as sa
from flask import current_app

from campaign.areas.models import Area
from campaign.areas.scope import within
from campaign.core.clock import day_bounds, zone
from campaign.coverage.services import Figures, area_figures
from campaign.extensions import db
from campaign.households.models import Household
from campaign.rounds.models import Round
from campaign.rounds.services import rounds_for
from campaign.visits.models import Outcome, Visit

log = logging.getLogger(__name__)

INLINE_HOUSEHOLDS = 50_000  # a township (33,000 households: 0.3 s) is counted in the request; a county is not
KEPT = 512  # series kept per process (an area, a round and a day each)


@dataclass
class Trend:
    round: Round
    last_round: Round | None
    length: int  # days on the axis: the longer of the two rounds
    current: list[float] | None  # coverage at the end of each day of the round so far; None while counted
    last: list[float] | None  # the last round's, over all its days

    @property
    def pending(self) -> bool:
        return self.current is None or (self.last_round is not None and self.last is None)

    @property
    def day(self) -> int:
        """Which day of the round the last point is (1 on its first day)."""
        return len(self.current or [])


def last_round(area: Area, round_: Round) -> Round | None:
    """The round before ``round_`` for this area."""
    return db.session.scalar(rounds_for(area.code).where(Round.starts_on < round_.starts_on).limit(1))


def trend(area: Area, round_: Round, figures: Figures, *, today: date) -> Trend:
    """``figures``: the round's figures for the area now (its tallies)."""
    inline = area.household_count <= current_app.config.get("DASHBOARD_INLINE_HOUSEHOLDS", INLINE_HOUSEHOLDS)
    if today <= round_.ends_on:  # running: the past days counted, today from the tallies
        yesterday = today - timedelta(days=1)
        past = reached_by_day(area, round_, yesterday, today=today, wait=inline) \
            if yesterday >= round_.starts_on else []
        reached = None if past is None else [*past, figures.reached]
    else:
        reached = reached_by_day(area, round_, round_.ends_on, today=today, wait=inline)
    before, last = last_round(area, round_), None
    if before is not None:
        counts = reached_by_day(area, before, before.ends_on, today=today, wait=inline)
        last = None if counts is None else _shares(counts, area_figures(before.id, area).in_scope)
    length = max(_days(round_), _days(before) if before else 0)
    return Trend(round=round_, last_round=before, length=length, current=None if reached is None else _shares(
        reached, figures.in_scope), last=last)


def _days(round_: Round) -> int:
    return (round_.ends_on - round_.starts_on).days + 1


def _shares(counts: list[int], in_scope: int) -> list[float]:
    return [min(n / in_scope, 1.0) if in_scope else 0.0 for n in counts]


# --- counting, and the series kept ----------------------------------------------------------------

_kept: OrderedDict[tuple, list[int]] = OrderedDict()
_counting: dict[tuple, threading.Thread] = {}
_lock = threading.Lock()


def reached_by_day(area: Area, round_: Round, last_day: date, *, today: date, wait: bool = True) -> list[int] | None:
    """Households reached by the end of each day of the round, from its first day to ``last_day``; kept
    for the rest of ``today`` (a visit synced late for an earlier day shows from tomorrow). ``wait``:
    count now if need be; otherwise count in the background and answer None until it is done."""
    key = (str(db.engine.url), area.code, round_.id, round_.created_at, last_day, today)
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    job = (round_.id, round_.starts_on, round_.area.code, area.code, last_day)
    if wait:
        return _keep(key, _count(*job))
    with _lock:
        if key not in _counting:
            app = current_app._get_current_object()
            thread = threading.Thread(target=_count_apart, args=(app, key, job), name="dashboard-trend", daemon=True)
            _counting[key] = thread
            thread.start()
    return None


def _keep(key: tuple, series: list[int]) -> list[int]:
    with _lock:
        _kept[key] = series
        _kept.move_to_end(key)
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return series


def _count_apart(app, key: tuple, job: tuple) -> None:
    try:
        with app.app_context():
            _keep(key, _count(*job))
    except Exception:  # the page keeps saying "counting"; the next request tries again
        log.exception("counting the coverage trend of %s failed", key[1])
    finally:
        with _lock:
            _counting.pop(key, None)


def wait_counting(timeout: float = 60) -> None:
    """Let the background counts finish (tests, and a process that stops)."""
    for thread in list(_counting.values()):
        thread.join(timeout)


def forget() -> None:
    with _lock:
        _kept.clear()


def _local_day(column, on: date):
    """The local calendar day of a UTC instant, in SQL. SQLite has no time zones: the offset of ``on``
    is used (China has kept one offset all year since 1991)."""
    if db.engine.dialect.name == "postgresql":
        return sa.cast(sa.func.timezone(zone().key, column), sa.Date)
    offset = zone().utcoffset(datetime.combine(on, time(12)))
    return sa.func.date(column, f"{int(offset.total_seconds() // 60):+d} minutes")


def _count(round_id: int, starts_on: date, round_code: str, code: str, last_day: date) -> list[int]:
    """One pass over the round's reaching visits in the area: each household's first, counted by its local
    day in SQL, so that a city's millions of visits never leave the database."""
    first = sa.select(sa.func.min(Visit.visited_at).label("at")).where(
        Visit.round_id == round_id, Visit.outcome == Outcome.REACHED)
    if not round_code.startswith(code):  # the area is part of the round's: keep its households
        first = (first.join(Household, Household.id == Visit.household_id).join(Area, Area.id == Household.grid_id)
                 .where(within(Area.code, code)))
    first = first.group_by(Visit.household_id).subquery()
    day = _local_day(first.c.at, last_day).label("day")
    rows = db.session.execute(sa.select(day, sa.func.count()).where(first.c.at < day_bounds(last_day, last_day)[1])
                              .group_by(day)).all()
    counts: Counter = Counter()
    for value, n in rows:
        counts[max(date.fromisoformat(str(value)[:10]), starts_on)] += int(n)  # reached before the first day: on it
    days = (last_day - starts_on).days + 1
    return list(accumulate(counts[starts_on + timedelta(days=n)] for n in range(days)))
