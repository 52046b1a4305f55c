"""Warning import (XLSX or CSV), as the anti-fraud centre's lists arrive. All or nothing."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within_any
from campaign.audit.services import apply_changes, record
from campaign.core.clock import from_local, zone
from campaign.core.errors import DomainError
from campaign.core.import_plan import KeySeen, Plan, RowChange, apply_plan, compare, shown
from campaign.core.imports import CHECKING, WRITING
from campaign.core.inputs import parse_datetime
from campaign.core.tabular import Column, read_sheet
from campaign.core.text import clean_code
from campaign.extensions import db
from campaign.jobs import runner

from .matching import match_household
from .models import FraudWarning, Level
from .services import create_warning, policy_for, validate

COLUMNS = [
    Column("area_code", "村(社区)或网格代码", aliases=("area", "区域代码", "村代码"), required=True,
           example="610923100001"),
    Column("resident", "居民", aliases=("resident", "姓名", "户"), required=True, as_typed=True, example="王某某"),
    Column("phone", "电话", aliases=("联系电话", "手机号码", "手机", "phone"), example="13800138000"),
    Column("level", "预警等级", aliases=("level", "等级"), required=True, example="高"),
    Column("received_at", "接收时间", aliases=("预警时间", "下发时间", "时间", "received_at"),
           required=True, example="2026-03-01 09:30"),
    Column("source", "来源", aliases=("source",), as_typed=True, example="市反诈中心"),
    Column("reference", "预警编号", aliases=("reference", "编号", "指令编号"), example="YJ2026030001"),
]
LEVELS = {"高": Level.HIGH, "中": Level.MEDIUM, "低": Level.LOW, "high": Level.HIGH, "medium": Level.MEDIUM,
          "low": Level.LOW}
LEVEL_NAMES = {level: name for name, level in LEVELS.items() if not name.isascii()}


def _time(text: str) -> datetime:
    return from_local(parse_datetime(text, "received_at"))


def plan_warnings(data: bytes, *, scope_codes: list[str] | None = None, user=None,
                  include_hidden: bool = False) -> Plan:
    """Plan a warning import. A warning is known by its reference (预警编号), or, in a list without one,
    by its area, resident and time received; a row naming a known warning updates it."""
    table = read_sheet(data, COLUMNS, include_hidden=include_hidden)
    rows, report = table.rows, Plan(notes=table.notes)
    query = sa.select(Area).where(Area.code.in_({r.values["area_code"] for r in rows}),
                                  Area.level.in_([AreaLevel.VILLAGE, AreaLevel.GRID]))
    if scope_codes is not None:
        query = query.where(within_any(Area.code, scope_codes))
    areas = {a.code: a for a in db.session.scalars(query)}
    refs = {clean_code(r.values.get("reference", ""))[:40] for r in rows} - {""}
    by_ref = {w.reference: w for w in db.session.scalars(sa.select(FraudWarning)
                                                         .where(FraudWarning.reference.in_(refs)))} if refs else {}
    header = {c.key: c.header for c in COLUMNS}
    seen = KeySeen(report, header["reference"])
    new, updates, without_ref = [], [], []
    for row in runner.track(rows, CHECKING):
        values = row.values
        area = areas.get(values["area_code"])
        level = LEVELS.get(values["level"].lower())
        reference = clean_code(values.get("reference", ""))[:40]
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
                resident, phone = validate(**item)
            except DomainError as error:
                report.add(row.line, error.message, header.get(error.field or "", ""))
                continue
            item = {**item, "level": level, "source": values.get("source", "")}
            key = ("ref", reference) if reference else ("fields", area.id, resident, item["received_at"])
            if seen.repeated(key, row.line):
                continue
            if not reference:
                without_ref.append((row.line, key[1:], item))
                continue
            warning = by_ref.get(reference)
            if warning is not None and scope_codes is not None and \
                    not any(warning.area.code.startswith(c) for c in scope_codes):
                report.add(row.line, _l("The warning %(ref)s belongs to another area.", ref=reference),
                           header["reference"])
            else:
                _plan_row(report, row.line, warning, {**item, "resident": resident, "phone": phone}, reference,
                          new, updates, header)
    by_fields = _by_fields({key for _, key, _ in without_ref})
    for line, key, item in without_ref:
        warning = by_fields.get(key)
        resident, phone = validate(area=item["area"], resident=item["resident"], phone=item["phone"],
                                   received_at=item["received_at"])
        _plan_row(report, line, warning, {**item, "resident": resident, "phone": phone}, "", new, updates, header)
    report.apply = partial(_write, new, updates, user)
    return report.finish()


def _by_fields(keys: set[tuple]) -> dict[tuple, FraudWarning]:
    if not keys:
        return {}
    found = db.session.scalars(sa.select(FraudWarning).where(
        FraudWarning.area_id.in_({k[0] for k in keys}), FraudWarning.received_at.in_({k[2] for k in keys})))
    return {(w.area_id, w.resident, w.received_at): w for w in found}


def _plan_row(report: Plan, line: int, warning: FraudWarning | None, item: dict, reference: str,
              new: list, updates: list, header: dict) -> None:
    if warning is None:
        report.new += 1
        new.append((item, reference))
        return
    wanted = {"area_id": item["area"].id, "resident": item["resident"][:60], "phone": item["phone"] or None,
              "level": item["level"], "received_at": item["received_at"].astimezone(UTC), "source": item["source"][:60]}
    current = {name: getattr(warning, name) for name in wanted}
    changes = compare(current, wanted, {**header, "area_id": header["area_code"]},
                      {"area_id": lambda i: item["area"].code if i == item["area"].id else str(i),
                       "level": lambda level: LEVEL_NAMES.get(level, ""),
                       "received_at": lambda moment: shown(moment.astimezone(zone())) if moment else ""})
    if not changes:
        report.unchanged += 1
        return
    report.changes.append(RowChange(line, warning.reference, changes))
    updates.append((warning, item["area"], wanted))


def _write(new: list, updates: list, user) -> None:
    runner.step(WRITING, len(new) + len(updates))
    for item, reference in new:
        warning = create_warning(**item, user=user)
        if reference:
            warning.reference = reference
            db.session.flush()
        runner.advance()
    for warning, area, wanted in updates:
        wanted = {name: value for name, value in wanted.items()
                  if compare({name: getattr(warning, name)}, {name: value}, {})}
        phone_changed = "phone" in wanted
        changes = apply_changes(warning, {**wanted, "area": area}, FraudWarning.AUDITED)
        warning.deadline_at = warning.received_at + timedelta(hours=policy_for(area).hours(warning.level))
        if phone_changed:
            changes["phone"] = ["***" if warning.phone else None, "***" if wanted["phone"] else None]
        if phone_changed or "area_id" in wanted:  # another number, or another township: matched again
            household_before = warning.household_id
            match_household(warning)
            db.session.flush()
            if warning.household_id != household_before:
                changes["household_id"] = [household_before, warning.household_id]
        record(action="update", subject="warning", subject_id=warning.id, area_code=area.code, user=user,
               changes=changes)
        runner.advance()


def import_warnings(data: bytes, **scope) -> Plan:
    """Plan and, when every row is good, write at once (the command line, scripts and tests)."""
    return apply_plan(plan_warnings(data, **scope))
