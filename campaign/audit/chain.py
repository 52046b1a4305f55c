"""The hash chain of the audit log, as pure functions (the migration that chains old rows uses them too).

Each entry's hash is SHA-256 over a canonical JSON array of its fields and the previous entry's
hash, so changing, removing or reordering any entry breaks every hash after it.
"""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

GENESIS = "0" * 64  # the "previous hash" of the first entry

# The columns that go into the hash, in order.
FIELDS = ("seq", "at", "user_id", "action", "subject", "subject_id", "area_code", "changes", "reason")


def canonical_json(value) -> str:
    """One spelling for one value: sorted keys, no spaces, UTF-8 text as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def plain_changes(changes) -> dict:
    """The changes as they will read back from the JSON column (int keys become strings, tuples lists)."""
    return json.loads(json.dumps(changes if changes is not None else {}, ensure_ascii=False))


def utc_iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(*, seq: int, at: datetime, user_id: int | None, action: str, subject: str, subject_id: int,
               area_code: str | None, changes, reason: str, prev_hash: str) -> str:
    payload = canonical_json([seq, utc_iso(at), user_id, action, subject, subject_id, area_code,
                              changes if changes is not None else {}, reason or "", prev_hash])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def hash_of_row(row, prev_hash: str) -> str:
    """The hash a row (anything with the ``FIELDS`` as attributes) should carry after ``prev_hash``."""
    return entry_hash(prev_hash=prev_hash, **{name: getattr(row, name) for name in FIELDS})
