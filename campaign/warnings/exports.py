"""Warnings as XLSX: the import columns first, so the file imports again, then how each was handled."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from campaign.accounts.models import User
from campaign.areas.models import Area
from campaign.core.exports import ExportColumn, Sheet
from campaign.core.types import utcnow
from campaign.extensions import db

from .importer import COLUMNS, LEVELS
from .models import FraudWarning, WarningOutcome

TITLE = "预警指令"
KINDS = {"received_at": "datetime"}
LEVEL_NAMES = {level: name for name, level in LEVELS.items() if not name.isascii()}
EXPORT_COLUMNS = [ExportColumn(c.header, KINDS.get(c.key, "text")) for c in COLUMNS] + [
    ExportColumn("村(社区)或网格", width=18), ExportColumn("见面截止时间", "datetime"), ExportColumn("网格员"),
    ExportColumn("首次见面时间", "datetime"), ExportColumn("状态", width=12), ExportColumn("处置结果", width=12),
    ExportColumn("办结时间", "datetime"), ExportColumn("避免损失(元)", "money")]


def _state(deadline: datetime, first_face: datetime | None, closed: datetime | None, now: datetime) -> str:
    """As the list marks it: open, overdue, met face to face, or closed."""
    if closed is not None:
        return _("Closed")
    if (first_face or now) > deadline:
        return _("Overdue")
    return _("Met face to face") if first_face else _("Open")


def warning_rows(query: sa.Select) -> Iterator[tuple]:
    """``query`` is the page's (``warnings_query`` and its filter), the warning's area joined as ``Area``."""
    worker = so.aliased(User)
    rows = db.session.execute(
        query.with_only_columns(Area.code, FraudWarning.resident, FraudWarning.phone, FraudWarning.level,
                                FraudWarning.received_at, FraudWarning.source, FraudWarning.reference, Area.name,
                                FraudWarning.deadline_at,
                                worker.display_name, FraudWarning.first_face_at, FraudWarning.outcome,
                                FraudWarning.closed_at, FraudWarning.loss_prevented)
        .outerjoin(worker, worker.id == FraudWarning.assigned_to_id).execution_options(yield_per=1000))
    now = utcnow()
    for (code, resident, phone, level, received, source, reference, name, deadline, assignee, face, outcome, closed,
         loss) in rows:
        yield (code, resident, phone, LEVEL_NAMES[level], received, source, reference, name, deadline, assignee, face,
               _state(deadline, face, closed, now), WarningOutcome(outcome).label if outcome else None, closed,
               loss)


def warnings_sheet(query: sa.Select) -> Sheet:
    return Sheet(TITLE, EXPORT_COLUMNS, warning_rows(query))
