"""Local dates. Timestamps are stored in UTC; a round's days are the county's calendar days."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_ZONE = "Asia/Shanghai"


def zone() -> ZoneInfo:
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE", DEFAULT_ZONE) if has_app_context() else DEFAULT_ZONE
    return ZoneInfo(name)


def local_date(moment: datetime) -> date:
    return moment.astimezone(zone()).date()


def local_today() -> date:
    return datetime.now(zone()).date()


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The UTC instants at which local day ``first`` starts and local day ``last`` ends."""
    start = datetime.combine(first, time.min, tzinfo=zone())
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone())
    return start, end


def from_local(moment: datetime) -> datetime:
    """A wall-clock time as typed in the county (a naive datetime) made an aware instant."""
    return moment.replace(tzinfo=zone()) if moment.tzinfo is None else moment
