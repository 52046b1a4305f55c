"""What an import would do, worked out before anything is written: rows new, changed (field by field) and
unchanged, keyed by each register's natural key, so that importing the same file twice never doubles a
record. The importer returns a :class:`Plan`; :func:`campaign.core.actions.commit_import` applies it."""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from flask_babel import lazy_gettext as _l

from .tabular import ImportReport, ReadNotes

_SPACES = re.compile(r"\s+")


@dataclass
class FieldChange:
    field: str
    old: str
    new: str


@dataclass
class RowChange:
    """One row that updates a record: its line, the record it names, and each field that changes."""

    line: int
    label: str
    fields: list[FieldChange]


@dataclass
class Plan(ImportReport):
    """An import report that also says what writing would do. ``rows`` counts the rows to write."""

    new: int = 0
    unchanged: int = 0
    changes: list[RowChange] = field(default_factory=list)
    apply: Callable[[], None] | None = field(default=None, repr=False, compare=False)
    written: bool = False
    notes: ReadNotes | None = None

    def digest(self) -> str:
        """A fingerprint of what the preview showed; the confirmed import must match it."""
        shown = [self.new, self.unchanged, [(c.line, c.label, [vars(f) for f in c.fields]) for c in self.changes]]
        return hashlib.sha256(json.dumps(shown, ensure_ascii=False).encode()).hexdigest()

    def finish(self) -> Plan:
        self.rows = self.new + len(self.changes)
        return self


def apply_plan(plan: Plan) -> Plan:
    """Write what a plan found, when every row is good (flushing, never committing)."""
    if plan.ok and not plan.written:
        plan.apply()
        plan.written = True
    return plan


def shown(value) -> str:
    """A value as the preview shows it (and as the export writes it)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def compare(current: dict, wanted: dict, headers: dict[str, str], display: dict | None = None) -> list[FieldChange]:
    """The fields of ``wanted`` that differ from ``current``, under the file's column headers.
    ``display`` maps a field to a function that shows its values (for enums shown by Chinese name)."""
    display = display or {}
    changes = []
    for name, new in wanted.items():
        old = current.get(name)
        if _same(old, new):
            continue
        show = display.get(name, shown)
        changes.append(FieldChange(headers.get(name, name), show(old), show(new)))
    return changes


def _same(old, new) -> bool:
    if isinstance(old, float) or isinstance(new, float):
        return old is not None and new is not None and abs(float(old) - float(new)) < 1e-9 or old == new
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return old is not None and new is not None and Decimal(old) == Decimal(new)
    return (old or None) == (new or None) if isinstance(old, str) or isinstance(new, str) else old == new


def comparable(text: str | None) -> str:
    """A door label or reference as compared, not as stored: full-width digits and letters as ASCII,
    no spaces, case folded. "1组 3号" and "１组3号" name the same door."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text or "")).casefold()


class KeySeen:
    """Rows of one file that name the same record: the second is refused with both lines."""

    def __init__(self, report: ImportReport, column: str):
        self.report, self.column, self.lines = report, column, {}

    def repeated(self, key: Hashable, line: int) -> bool:
        first = self.lines.setdefault(key, line)
        if first == line:
            return False
        self.report.add(line, _l("Lines %(first)s and %(line)s name the same record; keep one of them.",
                                 first=first, line=line), self.column)
        return True
