"""Household roster import (XLSX or CSV). Every row is checked first; one bad row imports nothing."""
from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within_any
from campaign.areas.services import adjust_household_count
from campaign.core.errors import DomainError
from campaign.core.imports import CHECKING, WRITING
from campaign.core.tabular import Column, ImportReport, read_table
from campaign.core.text import fold
from campaign.extensions import db
from campaign.jobs import runner

from .history import placed_in_bulk
from .models import Household, phone_index
from .services import check_fields

COLUMNS = [
    Column("grid_code", "网格编码", aliases=("grid", "网格代码"), required=True, example="610923100001001"),
    Column("door_label", "门牌/地址", aliases=("door", "门牌", "地址", "门牌号"), required=True, as_typed=True,
           example="城南社区 1组3号"),
    Column("head_name", "户主姓名", aliases=("head", "户主", "姓名"), as_typed=True, example="张三"),
    Column("phone", "联系电话", aliases=("电话", "手机", "手机号"), example="13800138000"),
    Column("members", "家庭人口", aliases=("人口", "人数", "人口数"), example="3"),
    Column("elderly_alone", "独居老人", aliases=("elderly",), example="否"),
    Column("at_risk", "重点关注", aliases=("risk", "易受骗"), example="否"),
    Column("lat", "纬度", aliases=("latitude",), example="33.3270"),
    Column("lon", "经度", aliases=("longitude",), example="108.3140"),
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


def import_households(data: bytes, *, scope_codes: list[str] | None = None) -> ImportReport:
    """Import a roster. ``scope_codes`` limits the grids a user may write to (None: any grid)."""
    rows = read_table(data, COLUMNS)
    report = ImportReport()
    codes = {row.values["grid_code"] for row in rows if row.values["grid_code"]}
    query = sa.select(Area).where(Area.code.in_(codes), Area.level == AreaLevel.GRID)
    if scope_codes is not None:
        query = query.where(within_any(Area.code, scope_codes))
    grids = {area.code: area for area in db.session.scalars(query)} if codes else {}
    taken = set()
    if grids:
        taken = set(db.session.execute(
            sa.select(Household.grid_id, Household.door_label).where(
                Household.grid_id.in_([g.id for g in grids.values()]))).all())
    seen: dict[tuple[int, str], int] = {}
    ready: list[dict] = []
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
        if bad:
            continue
        key = (grid.id, fields.door_label)
        if key in taken:
            report.add(line, _l("The grid %(grid)s already has a household at %(door)s.",
                                grid=grid.code, door=fields.door_label), "门牌/地址")
        elif key in seen:
            report.add(line, _l("Same grid and door label as line %(line)s.", line=seen[key]), "门牌/地址")
        else:
            seen[key] = line
            ready.append({"grid_id": grid.id, **vars(fields), "phone_index": phone_index(fields.phone)})
    report.rows = len(ready)
    if not report.ok:
        return report
    runner.step(WRITING, len(ready))
    if ready:
        db.session.execute(sa.insert(Household), ready)
        placed_in_bulk(sorted({item["grid_id"] for item in ready}))
        for grid_id, added in Counter(item["grid_id"] for item in ready).items():
            adjust_household_count(grid_id, added)
    return report


def _header(key: str | None) -> str:
    return next((col.header for col in COLUMNS if col.key == key), "")
