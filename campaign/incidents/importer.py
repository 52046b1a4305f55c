"""Incident import (XLSX or CSV): every row checked first, one bad row imports nothing."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from functools import partial

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within_any
from campaign.core.errors import DomainError
from campaign.core.import_plan import KeySeen, Plan, RowChange, apply_plan, compare
from campaign.core.imports import CHECKING, WRITING
from campaign.core.inputs import parse_date
from campaign.core.tabular import Column, read_sheet
from campaign.core.text import fold
from campaign.extensions import db
from campaign.jobs import runner

from .models import FRAUD_TYPE_CHINESE, INCIDENT_KIND_CHINESE, Incident
from .services import check_fields, create_incident, update_incident

COLUMNS = [
    Column("village_code", "村(社区)代码", aliases=("村（社区）编码", "村代码", "社区代码", "村编码", "village"),
           required=True,
           example="610923100001"),
    Column("kind", "类别", aliases=("案件类别", "kind"), example="案件"),
    Column("occurred_on", "发案日期", aliases=("发案时间", "案发日期", "案发时间", "日期", "date"), required=True,
           example="2026-03-01"),
    Column("fraud_type", "诈骗类型", aliases=("案件类型", "诈骗手法", "类型", "type"), required=True,
           example="刷单返利"),
    Column("loss", "损失金额(元)", aliases=("损失金额", "被骗金额", "损失", "loss"), example="12000"),
    Column("recovered", "挽回或止付金额(元)", aliases=("挽回金额", "止付金额", "挽回损失", "recovered"), example="0"),
    Column("case_ref", "案件编号", aliases=("警情编号", "案件编码", "case"), example="A6109230000002026030001"),
    Column("description", "简要案情", aliases=("案情", "案情简介", "description"), as_typed=True,
           example="刷单返利，先小额返利后诱导大额转账"),
]


def _fraud_name(value) -> str:
    """A value as the export writes it: its first Chinese name."""
    return next((name for name, v in FRAUD_TYPE_CHINESE.items() if v == value), str(value))


def _kind_name(value) -> str:
    return next((name for name, v in INCIDENT_KIND_CHINESE.items() if v == value), str(value))


def _date(text: str) -> date:
    return parse_date(text, "occurred_on")


def plan_incidents(data: bytes, *, scope_codes: list[str] | None = None, user=None,
                   include_hidden: bool = False) -> Plan:
    """Plan an incident import. An incident is known by its case reference within its county, or, with
    none, by its village, date, fraud type and loss; a row naming a known incident updates it."""
    table = read_sheet(data, COLUMNS, include_hidden=include_hidden)
    rows, report = table.rows, Plan(notes=table.notes)
    codes = {row.values["village_code"] for row in rows}
    query = sa.select(Area).where(Area.code.in_(codes), Area.level == AreaLevel.VILLAGE)
    if scope_codes is not None:
        query = query.where(within_any(Area.code, scope_codes))
    villages = {a.code: a for a in db.session.scalars(query)}
    refs = {fold(row.values.get("case_ref", ""))[:40] for row in rows} - {""}
    by_ref, by_fields = _existing(refs, [v.id for v in villages.values()])
    seen = KeySeen(report, "案件编号")
    headers = {c.key: c.header for c in COLUMNS}
    new, updates = [], []
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
        if fields.case_ref:
            key = ("ref", village.code[:6], fields.case_ref)
            matches = by_ref.get(key[1:], [])
        else:
            key = ("fields", village.id, fields.occurred_on, fields.fraud_type, fields.loss)
            matches = by_fields.get(key[1:], [])
        if seen.repeated(key, row.line):
            continue
        if len(matches) > 1:
            report.add(row.line, _l("%(count)s incidents in the register match this row; give its case reference "
                                    "or correct them one by one.", count=len(matches)), "案件编号")
            continue
        if not matches:
            report.new += 1
            new.append((village, fields))
            continue
        incident = matches[0]
        if scope_codes is not None and not any(incident.village.code.startswith(c) for c in scope_codes):
            report.add(row.line, _l("The case %(ref)s is recorded outside your area.", ref=fields.case_ref), "案件编号")
            continue
        fields.target_id = incident.target_id
        wanted = {"village_id": village.id, **vars(fields)}
        current = {"village_id": incident.village_id, **{k: getattr(incident, k) for k in vars(fields)}}
        changes = compare(current, wanted, {**headers, "village_id": headers["village_code"]},
                          {"village_id": lambda i: _village_code(i, villages), "fraud_type": _fraud_name,
                           "kind": _kind_name})
        if not changes:
            report.unchanged += 1
            continue
        report.changes.append(RowChange(row.line, fields.case_ref or f"{village.name} {fields.occurred_on}", changes))
        updates.append((incident, village, fields))
    report.apply = partial(_write, new, updates, user)
    return report.finish()


def _existing(refs: set[str], village_ids: list[int]) -> tuple[dict, dict]:
    """Known incidents by (county code, case reference), and those without one by village, date, type, loss."""
    by_ref: dict[tuple, list[Incident]] = defaultdict(list)
    by_fields: dict[tuple, list[Incident]] = defaultdict(list)
    if refs:
        query = sa.select(Incident, Area.code).join(Area, Area.id == Incident.village_id)
        for incident, code in db.session.execute(query.where(Incident.case_ref.in_(refs))):
            by_ref[(code[:6], incident.case_ref)].append(incident)
    if village_ids:
        for incident in db.session.scalars(sa.select(Incident).where(Incident.village_id.in_(village_ids),
                                                                     Incident.case_ref == "")):
            by_fields[(incident.village_id, incident.occurred_on, incident.fraud_type,
                       Decimal(incident.loss))].append(incident)
    return by_ref, by_fields


def _village_code(village_id: int, villages: dict[str, Area]) -> str:
    return next((code for code, area in villages.items() if area.id == village_id), None) or \
        db.session.get(Area, village_id).code


def _write(new: list, updates: list, user) -> None:
    runner.step(WRITING, len(new) + len(updates))
    for village, fields in new:
        create_incident(village=village, fields=fields, user=user)
        runner.advance()
    for incident, village, fields in updates:
        update_incident(incident, village=village, fields=fields, user=user)
        runner.advance()


def import_incidents(data: bytes, **scope) -> Plan:
    """Plan and, when every row is good, write at once (the command line, scripts and tests)."""
    return apply_plan(plan_incidents(data, **scope))
