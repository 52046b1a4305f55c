"""Creation target import (XLSX or CSV): every row checked first, one bad row imports nothing."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area
from campaign.areas.scope import within_any
from campaign.core.errors import DomainError
from campaign.core.imports import CHECKING, WRITING
from campaign.core.tabular import Column, ImportReport, read_table
from campaign.core.text import fold
from campaign.extensions import db
from campaign.jobs import runner

from .models import KIND_CHINESE, CreationTarget, TargetKind
from .services import check_fields, create_target

COLUMNS = [
    Column("kind", "类型", aliases=("kind", "对象类型"), required=True, example="学校"),
    Column("name", "名称", aliases=("name", "单位名称", "学校名称"), as_typed=True, example="宁陕县城关小学"),
    Column("area_code", "所在区划代码", aliases=("area", "区划代码", "村(社区)代码"), required=True,
           example="610923100001"),
    Column("contact_name", "联系人", aliases=("contact",), as_typed=True, example="王老师"),
    Column("contact_phone", "联系电话", aliases=("phone", "电话"), example="13800000000"),
    Column("headcount", "人数", aliases=("headcount", "师生人数", "职工人数"), example="860"),
]


def parse_kind(value) -> TargetKind:
    text = fold(value)
    if text in KIND_CHINESE:
        return KIND_CHINESE[text]
    try:
        return TargetKind(text.lower())
    except ValueError:
        raise DomainError(_l("%(value)s is not a kind of target (村/社区, 学校, 企业, 单位).", value=value),
                          field="kind") from None


def import_targets(data: bytes, *, scope_codes: list[str] | None = None, user=None) -> ImportReport:
    rows = read_table(data, COLUMNS)
    report = ImportReport()
    codes = {row.values["area_code"] for row in rows}
    query = sa.select(Area).where(Area.code.in_(codes))
    if scope_codes is not None:
        query = query.where(within_any(Area.code, scope_codes))
    areas = {a.code: a for a in db.session.scalars(query)}
    existing = set(db.session.execute(sa.select(CreationTarget.area_id, CreationTarget.kind, CreationTarget.name)
                                      .where(CreationTarget.area_id.in_([a.id for a in areas.values()]))).all())
    seen, ready = {}, []
    header = {c.key: c.header for c in COLUMNS}
    for row in runner.track(rows, CHECKING):
        values = row.values
        area = areas.get(values["area_code"])
        if area is None:
            report.add(row.line, _l("Unknown area code %(code)s.", code=values["area_code"]), header["area_code"])
            continue
        try:
            fields = check_fields(kind=parse_kind(values["kind"]), name=values.get("name", ""), area=area,
                                  contact_name=values.get("contact_name", ""),
                                  contact_phone=values.get("contact_phone", ""), headcount=values.get("headcount"))
        except DomainError as error:
            report.add(row.line, error.message, header.get(error.field, ""))
            continue
        key = (area.id, fields.kind, None if fields.kind.tied_to_area else fields.name)
        if key in seen:
            report.add(row.line, _l("The same target as line %(line)s.", line=seen[key]), header["name"])
            continue
        seen[key] = row.line
        if any(a == area.id and k is fields.kind and (fields.kind.tied_to_area or n == fields.name)
               for a, k, n in existing):
            report.add(row.line, _l("%(name)s is already registered.", name=fields.name), header["name"])
            continue
        ready.append((area, fields))
    report.rows = len(ready)
    if report.ok:
        for area, fields in runner.track(ready, WRITING):
            create_target(area=area, fields=fields, user=user)
    return report
