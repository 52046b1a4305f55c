"""Incident import (XLSX or CSV): every row checked first, one bad row imports nothing."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within_any
from campaign.core.errors import DomainError
from campaign.core.imports import CHECKING, WRITING
from campaign.core.inputs import date_range_message, in_date_range
from campaign.core.tabular import Column, ImportReport, read_table
from campaign.extensions import db
from campaign.jobs import runner

from .services import check_fields, create_incident

COLUMNS = [
    Column("village_code", "村(社区)代码", aliases=("village", "村代码", "社区代码"), required=True,
           example="610923100001"),
    Column("kind", "类别", aliases=("kind", "案件类别"), example="案件"),
    Column("occurred_on", "发案日期", aliases=("date", "日期"), required=True, example="2026-03-01"),
    Column("fraud_type", "诈骗类型", aliases=("type", "类型"), required=True, example="刷单返利"),
    Column("loss", "损失金额(元)", aliases=("loss", "损失金额", "损失"), example="12000"),
    Column("recovered", "挽回或止付金额(元)", aliases=("recovered", "挽回金额", "止付金额"), example="0"),
    Column("case_ref", "案件编号", aliases=("case", "警情编号"), example="A6109230000002026030001"),
    Column("description", "简要案情", aliases=("description", "案情"), as_typed=True, example="刷单返利，先小额返利后诱导大额转账"),
]


def _date(text: str) -> date:
    try:
        day = date.fromisoformat(text.replace("/", "-").replace(".", "-")[:10])
    except ValueError:
        raise DomainError(_l("%(value)s is not a date (YYYY-MM-DD).", value=text), field="occurred_on") from None
    if not in_date_range(day):
        raise DomainError(date_range_message(), field="occurred_on")
    return day


def import_incidents(data: bytes, *, scope_codes: list[str] | None = None, user=None) -> ImportReport:
    rows = read_table(data, COLUMNS)
    report = ImportReport()
    codes = {row.values["village_code"] for row in rows}
    query = sa.select(Area).where(Area.code.in_(codes), Area.level == AreaLevel.VILLAGE)
    if scope_codes is not None:
        query = query.where(within_any(Area.code, scope_codes))
    villages = {a.code: a for a in db.session.scalars(query)}
    ready = []
    for row in runner.track(rows, CHECKING):
        values = row.values
        village = villages.get(values["village_code"])
        if not values["village_code"]:
            report.add(row.line, _l("The village code is empty."), "村(社区)代码")
            continue
        if village is None:
            report.add(row.line, _l("Unknown village code %(code)s.", code=values["village_code"]), "村(社区)代码")
            continue
        try:
            fields = check_fields(occurred_on=_date(values["occurred_on"]) if values["occurred_on"] else None,
                                  fraud_type=values["fraud_type"], loss=values.get("loss"),
                                  recovered=values.get("recovered"), case_ref=values.get("case_ref", ""),
                                  description=values.get("description", ""), kind=values.get("kind", ""))
        except DomainError as error:
            report.add(row.line, error.message, next((c.header for c in COLUMNS if c.key == error.field), ""))
            continue
        ready.append((village, fields))
    report.rows = len(ready)
    if report.ok:
        for village, fields in runner.track(ready, WRITING):
            create_incident(village=village, fields=fields, user=user)
    return report
