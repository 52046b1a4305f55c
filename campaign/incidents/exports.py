"""The incident register as XLSX: the import columns first, so the file imports again, then the
names a reader wants."""
from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
import sqlalchemy.orm as so

from campaign.areas.models import Area
from campaign.core.exports import ExportColumn, Sheet
from campaign.creation.models import CreationTarget
from campaign.extensions import db

from .importer import COLUMNS
from .models import FRAUD_TYPE_CHINESE, INCIDENT_KIND_CHINESE, Incident

TITLE = "涉诈案件"
KINDS = {"occurred_on": "date", "loss": "money", "recovered": "money"}
# The first Chinese name of each value, as the import reads it back.
FRAUD_TYPE_NAMES = {value: name for name, value in reversed(FRAUD_TYPE_CHINESE.items())}
KIND_NAMES = {value: name for name, value in reversed(INCIDENT_KIND_CHINESE.items())}
EXPORT_COLUMNS = [ExportColumn(c.header, KINDS.get(c.key, "text")) for c in COLUMNS] + [
    ExportColumn("乡镇(街道)", width=14), ExportColumn("村(社区)", width=14), ExportColumn("学校或单位", width=18)]


def incident_rows(query: sa.Select) -> Iterator[tuple]:
    """``query`` is the page's (``incidents_query``), its village joined as ``Area``."""
    township, target = so.aliased(Area), so.aliased(CreationTarget)
    rows = db.session.execute(
        query.with_only_columns(Area.code, Incident.kind, Incident.occurred_on, Incident.fraud_type, Incident.loss,
                                Incident.recovered, Incident.case_ref, Incident.description, township.name, Area.name,
                                target.name)
        .join(township, township.id == Area.parent_id).outerjoin(target, target.id == Incident.target_id)
        .execution_options(yield_per=1000))
    for code, kind, occurred_on, fraud_type, *rest in rows:
        yield (code, KIND_NAMES[kind], occurred_on, FRAUD_TYPE_NAMES[fraud_type], *rest)


def incidents_sheet(query: sa.Select) -> Sheet:
    return Sheet(TITLE, EXPORT_COLUMNS, incident_rows(query))
