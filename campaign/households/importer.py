"""Household roster import (XLSX or CSV). Every row is checked first; one bad row imports nothing."""
from __future__ import annotations

from collections import Counter
from functools import partial

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within_any
from campaign.areas.services import adjust_household_count
from campaign.audit.services import record
from campaign.core.errors import DomainError
from campaign.core.import_plan import KeySeen, Plan, RowChange, apply_plan, comparable, compare
from campaign.core.imports import CHECKING, WRITING
from campaign.core.tabular import Column, read_sheet
from campaign.core.text import fold
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.jobs import runner

from .history import placed_in_bulk
from .models import Household, phone_index
from .services import check_fields

COLUMNS = [
    Column("grid_code", "网格编码", aliases=("网格编号", "网格代码", "所属网格编码", "grid"), required=True,
           example="610923100001001"),
    Column("door_label", "门牌/地址",
           aliases=("门牌号", "门牌", "地址", "门牌号码", "家庭住址", "住址", "详细地址", "door"),
           required=True, as_typed=True,
           example="城南社区 1组3号"),
    Column("head_name", "户主姓名", aliases=("户主", "姓名", "head"), as_typed=True, example="张三"),
    Column("phone", "联系电话", aliases=("手机号码", "电话", "手机", "手机号", "联系方式", "户主电话", "phone"),
           example="13800138000"),
    Column("members", "家庭人口", aliases=("家庭人口数", "人口", "人数", "人口数", "家庭成员数", "members"),
           example="3"),
    Column("elderly_alone", "独居老人", aliases=("是否独居老人", "独居", "elderly"), example="否"),
    Column("at_risk", "重点关注", aliases=("是否重点关注人员", "重点关注人员", "是否重点关注", "重点人员", "易受骗",
                                       "risk"), example="否"),
    Column("lat", "纬度", aliases=("北纬", "latitude", "lat"), example="33.3270"),
    Column("lon", "经度", aliases=("东经", "longitude", "lon", "lng"), example="108.3140"),
]

_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "有"}
_FALSE = {"", "否", "n", "no", "false", "0", "×", "无"}


def parse_flag(value: str) -> bool:
    text = fold(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise DomainError(_l("%(value)s is not 是 or 否.", value=value))


FIELDS = ("door_label", "head_name", "phone", "members", "elderly_alone", "at_risk", "lat", "lon")


def plan_households(data: bytes, *, scope_codes: list[str] | None = None, user=None,
                    include_hidden: bool = False) -> Plan:
    """Plan a roster import: a household is known by its grid and door label (compared without spaces
    and full-width digits, stored as typed). ``scope_codes`` limits the grids a user may write to."""
    table = read_sheet(data, COLUMNS, include_hidden=include_hidden)
    rows, report = table.rows, Plan(notes=table.notes)
    codes = {row.values["grid_code"] for row in rows if row.values["grid_code"]}
    query = sa.select(Area).where(Area.code.in_(codes), Area.level == AreaLevel.GRID)
    if scope_codes is not None:
        query = query.where(within_any(Area.code, scope_codes))
    grids = {area.code: area for area in db.session.scalars(query)} if codes else {}
    existing: dict[tuple[int, str], sa.Row] = {}
    if grids:
        existing = {(h.grid_id, comparable(h.door_label)): h for h in db.session.execute(
            sa.select(Household.id, Household.grid_id, *(getattr(Household, f) for f in FIELDS)).where(
                Household.grid_id.in_([g.id for g in grids.values()])))}
    seen = KeySeen(report, "门牌/地址")
    headers = {c.key: c.header for c in COLUMNS}
    new: list[dict] = []
    updates: list[tuple[sa.Row, dict, dict]] = []
    for row in runner.track(rows, CHECKING):
        values, line = row.values, row.line
        bad = False
        grid = grids.get(values["grid_code"])
        if not values["grid_code"]:
            report.add(line, _l("The grid code is empty."), "网格编码")
            bad = True
        elif grid is None:
            report.add(line, _l("Unknown grid code %(code)s.", code=values["grid_code"]), "网格编码")
            bad = True
        flags = {}
        for key in ("elderly_alone", "at_risk"):
            try:
                flags[key] = parse_flag(values.get(key, ""))
            except DomainError as error:
                report.add(line, error.message, _header(key))
                bad = True
        try:
            fields = check_fields(
                door_label=values["door_label"], head_name=values.get("head_name"),
                phone=values.get("phone"), members=values.get("members", ""),
                elderly_alone=flags.get("elderly_alone", False), at_risk=flags.get("at_risk", False),
                lat=values.get("lat"), lon=values.get("lon"))
        except DomainError as error:
            report.add(line, error.message, _header(error.field))
            continue
        key = (grid.id, comparable(fields.door_label)) if not bad else None
        if bad or seen.repeated(key, line):
            continue
        wanted = vars(fields)
        current = existing.get(key)
        if current is None:
            report.new += 1
            new.append({"grid_id": grid.id, **wanted, "phone_index": phone_index(fields.phone)})
            continue
        changes = compare(current._asdict(), wanted, headers)
        if not changes:
            report.unchanged += 1
            continue
        report.changes.append(RowChange(line, f"{grid.code} {current.door_label}", changes))
        updates.append((current, wanted, {"grid_code": grid.code}))
    report.apply = partial(_write, new, updates)
    return report.finish()


def _write(new: list[dict], updates: list[tuple[sa.Row, dict, dict]]) -> None:
    runner.step(WRITING, len(new) + len(updates))
    if new:
        db.session.execute(sa.insert(Household), new)
        placed_in_bulk(sorted({item["grid_id"] for item in new}))
        for grid_id, added in Counter(item["grid_id"] for item in new).items():
            adjust_household_count(grid_id, added)
    if updates:
        db.session.execute(sa.update(Household), [
            {"id": current.id, **wanted, "phone_index": phone_index(wanted["phone"]), "updated_at": utcnow()}
            for current, wanted, _ in updates])
        for current, wanted, where in updates:
            before = {name: getattr(current, name) for name in FIELDS}
            changes = {name: [_audit_value(name, before[name]), _audit_value(name, wanted[name])]
                       for name in FIELDS if compare({name: before[name]}, {name: wanted[name]}, {})}
            record(action="update", subject="household", subject_id=current.id, area_code=where["grid_code"],
                   changes=changes)


def _audit_value(name: str, value):
    """The audit chain is kept for years: it says that a phone changed, not the number."""
    if name == "phone":
        return "***" if value else None
    return value


def _header(key: str | None) -> str:
    return next((col.header for col in COLUMNS if col.key == key), "")


def import_households(data: bytes, **scope) -> Plan:
    """Plan and, when every row is good, write at once (the command line, scripts and tests)."""
    return apply_plan(plan_households(data, **scope))
