"""Recording changes. Services call ``record`` in the same transaction as the change itself.

Every entry is chained to the one before it (chain.py). Writers take the chain's lock before
reading its head, so concurrent requests append one after the other instead of forking it.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa
from flask_login import current_user

from campaign.core.types import utcnow
from campaign.extensions import db

from .chain import GENESIS, hash_of_row, plain_changes
from .models import AuditEntry

# pg_advisory_xact_lock key of the chain ("audit" in ASCII); held until the transaction ends.
CHAIN_LOCK = 0x6175646974
_recorded_at: ContextVar[datetime | None] = ContextVar("audit_recorded_at", default=None)


def _plain(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(obj, fields: tuple[str, ...]) -> dict:
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: dict, after: dict) -> dict:
    """Only what changed, as {field: [old, new]}."""
    return {k: [before.get(k), after.get(k)] for k in {**before, **after} if before.get(k) != after.get(k)}


def apply_changes(obj, values: dict, audited: tuple[str, ...]) -> dict:
    """Set ``values`` on ``obj`` and flush; return what changed among its ``audited`` fields."""
    before = snapshot(obj, audited)
    for name, value in values.items():
        setattr(obj, name, value)
    db.session.flush()
    return diff(before, snapshot(obj, audited))


def record(*, action: str, subject: str, subject_id: int, area_code: str | None, changes: dict,
           reason: str = "", user=None) -> AuditEntry:
    user = user if user is not None else (current_user if current_user and current_user.is_authenticated else None)
    entry = AuditEntry(action=action, subject=subject, subject_id=subject_id, area_code=area_code,
                       changes=plain_changes(changes), reason=reason, user_id=user.id if user is not None else None,
                       at=_recorded_at.get() or utcnow())
    db.session.flush()  # the caller's pending rows first, so that nothing else is flushed under the lock
    _lock_chain()
    head = db.session.execute(sa.select(AuditEntry.seq, AuditEntry.hash)
                              .order_by(AuditEntry.seq.desc()).limit(1)).first()
    entry.seq, entry.prev_hash = (head.seq + 1, head.hash) if head else (1, GENESIS)
    entry.hash = hash_of_row(entry, entry.prev_hash)
    db.session.add(entry)
    db.session.flush()  # inserted in the transaction that holds the lock
    return entry


def _lock_chain() -> None:
    """Serialise appends until this transaction ends.

    PostgreSQL: a transaction-level advisory lock. SQLite: a write that changes nothing, which makes
    the transaction a write transaction (SQLite allows one writer), so the head read next and the
    insert after it cannot interleave with another writer's.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(CHAIN_LOCK)))
    else:
        db.session.execute(sa.text("UPDATE audit_entry SET seq = seq WHERE 0"))


@contextmanager
def recorded_at(when: datetime) -> Iterator[None]:
    """Give entries recorded inside the block this time instead of now (the demo's made-up history)."""
    token = _recorded_at.set(when)
    try:
        yield
    finally:
        _recorded_at.reset(token)


def clear_log() -> None:
    """Remove every entry (the demo's --reset). PostgreSQL refuses DELETE on the log, not TRUNCATE by its owner."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("TRUNCATE audit_entry"))
    else:
        db.session.execute(sa.delete(AuditEntry))


@dataclass
class ChainReport:
    """The outcome of checking the whole chain: how many entries, and the first broken one if any."""

    count: int
    head: str
    broken_id: int | None = None
    broken_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify_chain(batch: int = 2000) -> ChainReport:
    """Walk the log in chain order, streaming, and stop at the first entry that does not fit."""
    columns = [AuditEntry.id, AuditEntry.seq, AuditEntry.prev_hash, AuditEntry.hash, AuditEntry.at,
               AuditEntry.user_id, AuditEntry.action, AuditEntry.subject, AuditEntry.subject_id,
               AuditEntry.area_code, AuditEntry.changes, AuditEntry.reason]
    rows = db.session.execute(sa.select(*columns).order_by(AuditEntry.seq),
                              execution_options={"yield_per": batch})
    count, expected_seq, prev = 0, 1, GENESIS
    for row in rows:
        problem = _problem(row, expected_seq, prev)
        if problem:
            rows.close()
            return ChainReport(count=count, head=prev, broken_id=row.id, broken_seq=row.seq, problem=problem)
        count, expected_seq, prev = count + 1, row.seq + 1, row.hash
    return ChainReport(count=count, head=prev)


def _problem(row, expected_seq: int, prev: str) -> str:
    if row.seq is None or row.hash is None:
        return "not chained (no sequence or hash)"
    if row.seq != expected_seq:
        return f"sequence {row.seq} where {expected_seq} was expected (an entry is missing or was inserted)"
    if row.prev_hash != prev:
        return "previous hash does not match the entry before it"
    if hash_of_row(row, prev) != row.hash:
        return "hash does not match its contents (the entry was changed after it was written)"
    return ""
