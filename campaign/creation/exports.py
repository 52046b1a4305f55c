"""Creation targets as XLSX: the import columns first, so the file imports again, then where each
target stands."""
from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from flask_babel import gettext as _

from campaign.areas.models import Area
from campaign.core.exports import ExportColumn, Sheet
from campaign.extensions import db

from .importer import COLUMNS
from .models import STATUS_LABELS, Certificate, CreationTarget, TargetKind, TargetStatus

TITLE = "创建对象"
KINDS = {"headcount": "int"}
# How the import (``KIND_CHINESE``) reads each kind back.
KIND_NAMES = {TargetKind.COMMUNITY: "村(社区)", TargetKind.SCHOOL: "学校", TargetKind.ENTERPRISE: "企业",
              TargetKind.ORGANISATION: "单位"}
EXPORT_COLUMNS = [ExportColumn(c.header, KINDS.get(c.key, "text")) for c in COLUMNS] + [
    ExportColumn("所在区划", width=16), ExportColumn("状态", width=12), ExportColumn("待复核"),
    ExportColumn("状态变更时间", "datetime"), ExportColumn("证书编号", width=18), ExportColumn("证书有效期至", "date")]


def _latest_certificate(column):
    return (sa.select(column).where(Certificate.target_id == CreationTarget.id)
            .order_by(Certificate.issued_on.desc(), Certificate.id.desc()).limit(1)
            .correlate(CreationTarget).scalar_subquery())


def target_rows(query: sa.Select) -> Iterator[tuple]:
    """``query`` is the page's (``targets_query`` and its filters), the target's area joined as ``Area``.
    The certificate is shown, as on the page, while the target is certified."""
    rows = db.session.execute(
        query.with_only_columns(CreationTarget.kind, CreationTarget.name, Area.code, CreationTarget.contact_name,
                                CreationTarget.contact_phone, CreationTarget.headcount, Area.name,
                                CreationTarget.status, CreationTarget.review_flagged_at,
                                CreationTarget.status_changed_at, _latest_certificate(Certificate.serial),
                                _latest_certificate(Certificate.valid_until))
        .execution_options(yield_per=1000))
    statuses = {status: str(label) for status, label in STATUS_LABELS.items()}
    review = _("Review (复核)")
    for kind, name, code, contact, phone, headcount, place, status, flagged, changed, serial, until in rows:
        certified = status == TargetStatus.CERTIFIED
        yield (KIND_NAMES[kind], name, code, contact, phone, headcount, place, statuses[status],
               review if flagged else None, changed, serial if certified else None, until if certified else None)


def targets_sheet(query: sa.Select) -> Sheet:
    return Sheet(TITLE, EXPORT_COLUMNS, target_rows(query))
