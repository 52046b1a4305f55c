"""Strict reading of what arrives from outside: codes, row ids and dates.

``str.isdigit()`` accepts ❶, ² and Arabic-Indic digits, and ``int()`` accepts some of them, so
neither decides what a code or an id is: only ASCII digits do. Ids are 32-bit columns, and the
county's calendar stays well inside what a UTC shift of a date can reach."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from .errors import DomainError

_DIGITS = re.compile(r"[0-9]+")
MAX_ID = 2**31 - 1  # every primary key is a 32-bit INTEGER
FIRST_YEAR, LAST_YEAR = 1900, 2100


def is_digits(text: object) -> bool:
    """Only ASCII digits, at least one: what a division code, or an id in a URL, is made of."""
    return isinstance(text, str) and _DIGITS.fullmatch(text) is not None


def parse_id(text: object) -> int | None:
    """A row id typed into a query string or form: 1 … MAX_ID in ASCII digits, else None."""
    if not is_digits(text) or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def in_date_range(value: date | datetime | None) -> bool:
    return value is None or FIRST_YEAR <= value.year <= LAST_YEAR


def date_range_message():
    return _l("Give a date between the years %(first)s and %(last)s.", first=FIRST_YEAR, last=LAST_YEAR)


# 2026-3-13, 2026/6/1, 2026.3.12, 2026年3月10日, 20260310; a time may follow (08:30, 8时30分, T08:30:00).
_DATE = re.compile(r"([0-9]{4})(?:([-/.])([0-9]{1,2})\2([0-9]{1,2})"
                   r"|年([0-9]{1,2})月([0-9]{1,2})日?|([0-9]{2})([0-9]{2}))")
_TIME = re.compile(r"(?:[ T]*)([0-9]{1,2})[:时]([0-9]{1,2})(?:[:分]([0-9]{1,2})(?:\.[0-9]+)?秒?|分)?")


def parse_moment(text: str, *, with_time: bool = False) -> datetime | None:
    """A date as Chinese offices write it, with a time of day if ``with_time``; None when it is not one.
    The whole text must be the date: '2026-03-19abc' is not a date."""
    text = unicodedata.normalize("NFKC", str(text or "")).strip()
    found = _DATE.match(text)
    if found is None:
        return None
    year = int(found.group(1))
    month, day = ((found.group(3), found.group(4)) if found.group(2) else
                  (found.group(5), found.group(6)) if found.group(5) else (found.group(7), found.group(8)))
    rest, hour, minute, second = text[found.end():], 0, 0, 0
    if rest:
        clock = _TIME.fullmatch(rest)
        if clock is None or (rest[0] not in " T" and not found.group(5)):
            return None
        hour, minute, second = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
        if not with_time and (hour, minute, second) != (0, 0, 0):
            return None
    try:
        return datetime(year, int(month), int(day), hour, minute, second)
    except ValueError:
        return None


def parse_date(text: str, field: str | None = None) -> date:
    """A date (see :func:`parse_moment`) within the years the ledger knows, else a DomainError. A time
    after it (a 发案时间 column, a date-time cell) is allowed and left out."""
    moment = parse_moment(text, with_time=True)
    if moment is None:
        raise DomainError(_l("%(value)s is not a date (YYYY-MM-DD).", value=text), field=field)
    if not in_date_range(moment):
        raise DomainError(date_range_message(), field=field)
    return moment.date()


def parse_datetime(text: str, field: str | None = None) -> datetime:
    """A date with an optional time of day (midnight when none), as :func:`parse_date` reads it."""
    moment = parse_moment(text, with_time=True)
    if moment is None:
        raise DomainError(_l("%(value)s is not a time (YYYY-MM-DD HH:MM).", value=text), field=field)
    if not in_date_range(moment):
        raise DomainError(date_range_message(), field=field)
    return moment
