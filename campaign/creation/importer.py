"""Creation target import (XLSX or CSV): every row checked first, one bad row imports nothing."""
from __future__ import annotations

from functools import partial

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area
from campaign.areas.scope import within_any
from campaign.core.errors import DomainError
from campaign.core.import_plan import KeySeen, Plan, RowChange, apply_plan, comparable, compare
from campaign.core.imports import CHECKING, WRITING
from campaign.core.tabular import Column, read_sheet
from campaign.core.text import fold
from campaign.extensions import db
from campaign.jobs import runner

from .models import KIND_CHINESE, CreationTarget, TargetKind
from .services import check_fields, create_target, update_target

COLUMNS = [
    Column("kind", "类型", aliases=("kind", "对象类型"), required=True, example="学校"),
    Column("name", "名称", aliases=("单位名称", "学校名称", "对象名称", "name"), as_typed=True,
           example="宁陕县城关小学"),
    Column("area_code", "所在区划代码", aliases=("area", "区划代码", "村(社区)代码"), required=True,
           example="610923100001"),
    Column("contact_name", "联系人", aliases=("联系人姓名", "负责人", "contact"), as_typed=True, example="王老师"),
    Column("contact_phone", "联系电话", aliases=("手机号码", "电话", "手机", "联系方式", "phone"),
           example="13800000000"),
    Column("headcount", "人数", aliases=("师生人数", "职工人数", "人口数", "总人数", "headcount"), example="860"),
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


def plan_targets(data: bytes, *, scope_codes: list[str] | None = None, user=None,
                 include_hidden: bool = False) -> Plan:
    """Plan a target import. A target is known by its kind, name and area (a village target by its kind
    and village); a row naming a known target updates its contact and headcount."""
    table = read_sheet(data, COLUMNS, include_hidden=include_hidden)
    rows, report = table.rows, Plan(notes=table.notes)
    codes = {row.values["area_code"] for row in rows}
    query = sa.select(Area).where(Area.code.in_(codes))
    if scope_codes is not None:
        query = query.where(within_any(Area.code, scope_codes))
    areas = {a.code: a for a in db.session.scalars(query)}
    existing: dict[tuple, CreationTarget] = {}
    for target in db.session.scalars(sa.select(CreationTarget)
                                     .where(CreationTarget.area_id.in_([a.id for a in areas.values()]))):
        existing.setdefault(_key(target.area_id, target.kind, target.name), target)
    header = {c.key: c.header for c in COLUMNS}
    seen = KeySeen(report, header["name"])
    new, updates = [], []
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
        key = _key(area.id, fields.kind, fields.name)
        if seen.repeated(key, row.line):
            continue
        target = existing.get(key)
        if target is None:
            report.new += 1
            new.append((area, fields))
            continue
        fields.name = target.name if fields.kind.tied_to_area and not values.get("name") else fields.name
        changes = compare({k: getattr(target, k) for k in vars(fields)}, vars(fields), header,
                          {"kind": lambda kind: kind.label if kind else ""})
        if not changes:
            report.unchanged += 1
            continue
        report.changes.append(RowChange(row.line, target.name, changes))
        updates.append((target, area, fields))
    report.apply = partial(_write, new, updates, user)
    return report.finish()


def _key(area_id: int, kind: TargetKind, name: str) -> tuple:
    """A village or community target is its village; a school or unit is its kind and name there."""
    return (area_id, kind, None if kind.tied_to_area else comparable(name))


def _write(new: list, updates: list, user) -> None:
    runner.step(WRITING, len(new) + len(updates))
    for area, fields in new:
        create_target(area=area, fields=fields, user=user)
        runner.advance()
    for target, area, fields in updates:
        update_target(target, area=area, fields=fields, user=user)
        runner.advance()


def import_targets(data: bytes, **scope) -> Plan:
    """Plan and, when every row is good, write at once (the command line, scripts and tests)."""
    return apply_plan(plan_targets(data, **scope))
