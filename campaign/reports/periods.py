"""The periods reports are made for: a day, a week (Monday to Sunday), a month, a year, or any span
(日通报、周研判、月讲评)."""
from __future__ import annotations

import calendar
import enum
from datetime import date, timedelta

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
