"""Strict reading of what arrives from outside: codes, row ids and dates.

``str.isdigit()`` accepts ❶, ² and Arabic-Indic digits, and ``int()`` accepts some of them, so
neither decides what a code or an id is: only ASCII digits do. Ids are 32-bit columns, and the
county's calendar stays well inside what a UTC shift of a date can reach."""
from __future__ import annotations

import re
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

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
