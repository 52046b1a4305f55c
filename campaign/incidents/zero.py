"""Zero-incident status (零发案) of an area over a period, against the same period a year earlier.
Only cases count: fraud dens and fraud-involved persons are tracked for the 三无 titles, not here."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within
from campaign.extensions import db

from .models import Incident, IncidentKind


def year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def change(now: float, before: float) -> float | None:
    """Relative change against the earlier figure (−0.3571 is 35.71% fewer); None without a base."""
    return (now - before) / before if before else None


@dataclass
class ZeroReport:
    area: Area
    start: date
    end: date
    cases: int = 0
    loss: Decimal = Decimal(0)
    recovered: Decimal = Decimal(0)
    cases_before: int = 0
    loss_before: Decimal = Decimal(0)
    villages: list[Area] = field(default_factory=list)
    villages_with_cases: dict[int, int] = field(default_factory=dict)  # village id -> cases
    townships: list[Area] = field(default_factory=list)
    townships_with_cases: set[str] = field(default_factory=set)

    @property
    def zero_villages(self) -> list[Area]:
        return [v for v in self.villages if v.id not in self.villages_with_cases]

    @property
    def zero_village_share(self) -> float | None:
        return len(self.zero_villages) / len(self.villages) if self.villages else None

    @property
    def zero_townships(self) -> list[Area]:
        return [t for t in self.townships if t.code not in self.townships_with_cases]

    @property
    def zero_township_share(self) -> float | None:
        return len(self.zero_townships) / len(self.townships) if self.townships else None

    @property
    def cases_change(self) -> float | None:
        return change(self.cases, self.cases_before)

    @property
    def loss_change(self) -> float | None:
        return change(float(self.loss), float(self.loss_before))


def _totals(area: Area, start: date, end: date) -> tuple[int, Decimal, Decimal]:
    cases, loss, recovered = db.session.execute(
        sa.select(sa.func.count(Incident.id), sa.func.coalesce(sa.func.sum(Incident.loss), 0),
                  sa.func.coalesce(sa.func.sum(Incident.recovered), 0))
        .join(Area, Area.id == Incident.village_id)
        .where(within(Area.code, area.code), Incident.kind == IncidentKind.CASE,
               Incident.occurred_on.between(start, end))).one()
    return int(cases), Decimal(loss), Decimal(recovered)


def zero_report(area: Area, start: date, end: date) -> ZeroReport:
    report = ZeroReport(area=area, start=start, end=end)
    report.cases, report.loss, report.recovered = _totals(area, start, end)
    report.cases_before, report.loss_before, _ = _totals(area, year_earlier(start), year_earlier(end))
    in_area = within(Area.code, area.code)
    report.villages = list(db.session.scalars(
        sa.select(Area).where(in_area, Area.level == AreaLevel.VILLAGE).order_by(Area.code)))
    report.townships = list(db.session.scalars(
        sa.select(Area).where(in_area, Area.level == AreaLevel.TOWNSHIP).order_by(Area.code)))
    rows = db.session.execute(
        sa.select(Incident.village_id, Area.code, sa.func.count()).join(Area, Area.id == Incident.village_id)
        .where(in_area, Incident.kind == IncidentKind.CASE, Incident.occurred_on.between(start, end))
        .group_by(Incident.village_id, Area.code)).all()
    report.villages_with_cases = {village_id: int(n) for village_id, _code, n in rows}
    report.townships_with_cases = {code[:9] for _id, code, _n in rows}
    return report
