"""Claiming the identifiers a phone makes (visit and action UUIDs) before reading whether they are taken.

Two phones may send one UUID at the same moment, in batches that lock nothing else in common (households
in different grids, different warnings). Without a claim both read "not stored yet", both insert, and the
second fails on the unique index instead of being answered duplicate or conflict. A claim makes the
second batch wait for the first to commit, so it reads the first one's rows and is answered exactly as
if the batches had come one after another. It also covers a UUID that may live in two tables (a warning
action is an attempt or a closing), where no unique index spans both.
"""
from __future__ import annotations

import zlib
from collections.abc import Iterable

import sqlalchemy as sa

from campaign.extensions import db

# The array's order is the order the locks are taken in (a function scan, no sort).
_LOCK = sa.text("SELECT pg_advisory_xact_lock(:space, k) FROM unnest(CAST(:keys AS integer[])) AS k")


def _int32(text: str) -> int:
    value = zlib.crc32(text.encode())
    return value - (1 << 32) if value >= 1 << 31 else value


def claim(table: sa.Table, keys: Iterable[str]) -> None:
    """Hold ``keys`` of ``table`` until this transaction ends; take claims before any other lock.

    PostgreSQL: transaction-level advisory locks (the two-key form: the table's name, then the key),
    taken in one statement, in ascending order so that two batches sharing keys never deadlock. Two keys
    with the same hash share a lock, which only makes their writers wait for each other.
    SQLite: a write that changes nothing, so the transaction holds the database's single write lock
    before it reads, and no other writer can come between its read and its insert."""
    wanted = sorted({_int32(key) for key in keys})
    if not wanted:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_LOCK, {"space": _int32(table.name), "keys": wanted}).all()
    else:
        column = next(iter(table.primary_key.columns)).name
        db.session.execute(sa.text(f'UPDATE "{table.name}" SET "{column}" = "{column}" WHERE 0'))
