"""Finding a place or a person by what a user types: part of the name (城南), its code (610923100001), its full
pinyin (chengnan) or its pinyin initials (csq), or a mix of the two (chengnsq).

Each name is spelt once per process (``syllables`` is cached): a city's ten thousand names cost about half a
second the first time, nothing after. ``static/js/pickers.js`` matches the same way in the browser.
"""
from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from campaign.core.text import fold

_NOT_TYPED = re.compile(r"[\s'’·\-_.,，。、]+")
_LATIN = re.compile(r"^[a-z0-9]+$")
_WORD = re.compile(r"[a-z0-9]+")
MAX_QUERY = 40


@lru_cache(maxsize=100_000)
def syllables(name: str) -> tuple[str, ...]:
    """The name's pinyin, a syllable per character (``城南社区`` → cheng nan she qu); a run of letters or
    digits (``第12网格`` → di 12 wang ge) stays one piece, and anything else (brackets, dots) is left out."""
    pieces = lazy_pinyin(name, style=Style.NORMAL, errors="default", v_to_u=False)
    return tuple(p for piece in pieces for p in _WORD.findall(fold(piece).lower()))


def spelling(name: str) -> str:
    """The syllables joined by spaces, as the browser receives them (``data-pinyin``)."""
    return " ".join(syllables(name))


def initials(name: str) -> str:
    return "".join(s[0] for s in syllables(name))


_initials = lru_cache(maxsize=100_000)(initials)


def normalise(query: str) -> str:
    """What the user typed, folded (full-width to half-width, lower case) without spaces or separators."""
    return _NOT_TYPED.sub("", fold(query or "").lower())[:MAX_QUERY]


def _spells(parts: tuple[str, ...], query: str, *, skipping: bool = False) -> int | None:
    """The index of the first syllable from which the start (at least a letter) of each next syllable spells the
    whole query, or None. ``skipping`` lets syllables be passed over: csq finds 城南社区 (c·s·q of cnsq)."""
    failed: set[tuple[int, int]] = set()  # each (syllable, position) is tried once: no blow-up on "aaaa…"

    def from_here(i: int, j: int) -> bool:
        if j == len(query):
            return True
        if i == len(parts) or (i, j) in failed:
            return False
        part = parts[i]
        for k in range(min(len(part), len(query) - j), 0, -1):
            if part[:k] == query[j:j + k] and from_here(i + 1, j + k):
                return True
        if skipping and j > 0 and from_here(i + 1, j):
            return True
        failed.add((i, j))
        return False

    for start, part in enumerate(parts):
        if part[0] == query[0] and from_here(start, 0):
            return start
    return None


def rank(query: str, name: str, code: str = "") -> int | None:
    """How well ``name`` (with ``code``) answers a normalised query: 0 exact, 1 from the start, 2 inside,
    3 with syllables passed over; None when it does not."""
    if not query:
        return 1
    if query.isdigit() and code:
        if code == query:
            return 0
        if code.startswith(query):
            return 1
        if query in code:
            return 2
    lowered = name.lower()
    if query == lowered:
        return 0
    if query in lowered:
        return 1 if lowered.startswith(query) else 2
    if not _LATIN.match(query):
        return None
    parts = syllables(name)
    if not parts or query[0] not in _initials(name):  # most names, at C speed
        return None
    start = _spells(parts, query)
    if start is None:
        return 3 if _spells(parts, query, skipping=True) is not None else None
    if query in ("".join(parts), "".join(p[0] for p in parts)):
        return 0
    return 1 if start == 0 else 2
