"""The periods reports are made for: a day, a week (Monday to Sunday), a month, a year, or any span
(日通报、周研判、月讲评)."""
from __future__ import annotations

import calendar
import enum
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l


class PeriodKind(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        return str(PERIOD_LABELS[self])


PERIOD_LABELS = {PeriodKind.DAY: _l("Day"), PeriodKind.WEEK: _l("Week"), PeriodKind.MONTH: _l("Month"),
                 PeriodKind.YEAR: _l("Year"), PeriodKind.CUSTOM: _l("Custom")}


def period_bounds(kind: PeriodKind, day: date) -> tuple[date, date]:
    """The day, week, month or year that contains ``day``."""
    if kind is PeriodKind.WEEK:
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    if kind is PeriodKind.MONTH:
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    if kind is PeriodKind.YEAR:
        return date(day.year, 1, 1), date(day.year, 12, 31)
    return day, day


def period_title(start: date, end: date) -> str:
    """The period as a title names it: 2026年11月, 2026年, 2026年11月29日, or 2026年11月2日至11月8日."""
    if start == end:
        return _("%(year)s/%(month)s/%(day)s", year=start.year, month=start.month, day=start.day)
    if (start, end) == period_bounds(PeriodKind.YEAR, start):
        return _("Year %(year)s", year=start.year)
    if (start, end) == period_bounds(PeriodKind.MONTH, start):
        return _("%(year)s/%(month)s", year=start.year, month=start.month)
    first = _("%(year)s/%(month)s/%(day)s", year=start.year, month=start.month, day=start.day)
    if start.year == end.year:
        last = _("%(month)s/%(day)s", month=end.month, day=end.day)
    else:
        last = _("%(year)s/%(month)s/%(day)s", year=end.year, month=end.month, day=end.day)
    return _("%(start)s to %(end)s", start=first, end=last)
