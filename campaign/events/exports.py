"""Publicity events as XLSX, one row an event, as the list shows them."""
from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
import sqlalchemy.orm as so

from campaign.areas.models import Area
from campaign.core.exports import ExportColumn, Sheet
from campaign.creation.models import CreationTarget
from campaign.extensions import db

from .models import EVENT_KIND_LABELS, EventPhoto, PublicityEvent

TITLE = "宣传活动"
EXPORT_COLUMNS = [
    ExportColumn("活动日期", "date"), ExportColumn("活动类型", width=14), ExportColumn("区划代码", width=17),
    ExportColumn("地点", width=16), ExportColumn("学校或单位", width=18), ExportColumn("参加人数", "int"),
    ExportColumn("发放资料", "int"), ExportColumn("安装反诈APP", "int"), ExportColumn("组织者"),
    ExportColumn("照片", "int"), ExportColumn("备注", width=30)]


def event_rows(query: sa.Select) -> Iterator[tuple]:
    """``query`` is the page's (``events_query``), the event's area joined as ``Area``."""
    target = so.aliased(CreationTarget)
    photos = (sa.select(sa.func.count()).where(EventPhoto.event_id == PublicityEvent.id)
              .correlate(PublicityEvent).scalar_subquery())
    rows = db.session.execute(
        query.with_only_columns(PublicityEvent.held_on, PublicityEvent.kind, Area.code, Area.name,
                                PublicityEvent.target, target.name, PublicityEvent.attendees,
                                PublicityEvent.materials, PublicityEvent.app_installs, PublicityEvent.organiser,
                                photos, PublicityEvent.note)
        .outerjoin(target, target.id == PublicityEvent.target_id).execution_options(yield_per=1000))
    kinds = {kind: str(label) for kind, label in EVENT_KIND_LABELS.items()}
    for held_on, kind, code, place, written, registered, *rest in rows:
        yield (held_on, kinds[kind], code, place, registered or written, *rest)


def events_sheet(query: sa.Select) -> Sheet:
    return Sheet(TITLE, EXPORT_COLUMNS, event_rows(query))
