"""Warning import (XLSX or CSV), as the anti-fraud centre's lists arrive. All or nothing."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within_any
from campaign.core.clock import from_local
from campaign.core.errors import DomainError
from campaign.core.imports import CHECKING, WRITING
from campaign.core.inputs import date_range_message, in_date_range
from campaign.core.tabular import Column, ImportReport, read_table
from campaign.extensions import db
from campaign.jobs import runner

from .models import Level
from .services import create_warning, validate

COLUMNS = [
    Column("area_code", "村(社区)或网格代码", aliases=("area", "区域代码", "村代码"), required=True,
           example="610923100001"),
    Column("resident", "居民", aliases=("resident", "姓名", "户"), required=True, as_typed=True, example="王某某"),
    Column("phone", "电话", aliases=("phone", "手机"), example="13800138000"),
    Column("level", "预警等级", aliases=("level", "等级"), required=True, example="高"),
    Column("received_at", "接收时间", aliases=("received_at", "时间"), required=True, example="2026-03-01 09:30"),
    Column("source", "来源", aliases=("source",), as_typed=True, example="市反诈中心"),
]
LEVELS = {"高": Level.HIGH, "中": Level.MEDIUM, "低": Level.LOW, "high": Level.HIGH, "medium": Level.MEDIUM,
          "low": Level.LOW}


def _time(text: str) -> datetime:
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"):
        try:
            moment = datetime.strptime(text, pattern)
        except ValueError:
            continue
        if not in_date_range(moment):
            raise DomainError(date_range_message(), field="received_at")
        return from_local(moment)
    raise DomainError(_l("%(value)s is not a time (YYYY-MM-DD HH:MM).", value=text), field="received_at")


def import_warnings(data: bytes, *, scope_codes: list[str] | None = None, user=None) -> ImportReport:
    rows = read_table(data, COLUMNS)
    report = ImportReport()
    query = sa.select(Area).where(Area.code.in_({r.values["area_code"] for r in rows}),
                                  Area.level.in_([AreaLevel.VILLAGE, AreaLevel.GRID]))
    if scope_codes is not None:
        query = query.where(within_any(Area.code, scope_codes))
    areas = {a.code: a for a in db.session.scalars(query)}
    header = {c.key: c.header for c in COLUMNS}
    ready = []
    for row in runner.track(rows, CHECKING):
        values = row.values
        area = areas.get(values["area_code"])
        level = LEVELS.get(values["level"].lower())
        if area is None:
            report.add(row.line, _l("Unknown village or grid code %(code)s.", code=values["area_code"]),
                       header["area_code"])
        elif level is None:
            report.add(row.line, _l("%(value)s is not 高, 中 or 低.", value=values["level"]), header["level"])
        elif not values["resident"]:
            report.add(row.line, _l("Name the resident or household."), header["resident"])
        else:
            try:
                item = dict(area=area, resident=values["resident"], received_at=_time(values["received_at"]),
                            phone=values.get("phone", ""))
                validate(**item)
                ready.append({**item, "level": level, "source": values.get("source", "")})
            except DomainError as error:
                report.add(row.line, error.message, header.get(error.field or "", ""))
    report.rows = len(ready)
    if report.ok:
        for item in runner.track(ready, WRITING):
            create_warning(**item, user=user)
    return report
