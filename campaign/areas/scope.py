"""Area scope as SQL: an area lies inside another when its code starts with the other's code.

Codes are digit strings, so "starts with P" is the range [P, P + ':') — index-friendly on
SQLite and on PostgreSQL (where the column uses the C collation).
"""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa


def within(code_column, prefix: str):
    return sa.and_(code_column >= prefix, code_column < prefix + ":")


def within_any(code_column, prefixes: Iterable[str]):
    clauses = [within(code_column, p) for p in prefixes]
    return sa.or_(*clauses) if clauses else sa.false()
