"""Acceptance criteria (创建标准) and their live evaluation for one target. Every figure comes from
the visits, incidents, warnings and events already recorded; none is typed in."""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area
from campaign.areas.scope import within
from campaign.core.clock import day_bounds, local_today
from campaign.coverage.services import area_figures
from campaign.events.models import PublicityEvent
from campaign.extensions import db
from campaign.households.models import Household
from campaign.incidents.models import Incident, IncidentKind
from campaign.rounds.models import Round
from campaign.rounds.services import ancestor_codes, rounds_for
from campaign.warnings.models import FraudWarning

from .models import CreationCriteria, CreationTarget, TargetKind

_COMMON = {"window_months": 12, "three_no": True, "min_coverage": None, "min_install_rate": 90, "min_events": 4,
           "min_face_rate": 100}
DEFAULTS = {
    TargetKind.COMMUNITY: {**_COMMON, "min_coverage": 95},
    TargetKind.SCHOOL: {**_COMMON, "min_install_rate": 100},
    TargetKind.ENTERPRISE: dict(_COMMON),
    TargetKind.ORGANISATION: dict(_COMMON),
}

LABELS = {
    "three_no": _l("No case, fraud den or fraud-involved person (三无)"),
    "coverage": _l("Door-knock coverage in the latest round"),
    "install_rate": _l("Anti-fraud app install rate"),
    "events": _l("Publicity events"),
    "face_rate": _l("Warnings met face to face"),
}


def criteria_for(area: Area, kind: TargetKind) -> CreationCriteria:
    """The criteria of the county (or city) the area belongs to; the defaults when none are set."""
    found = db.session.scalar(
        sa.select(CreationCriteria).join(Area, Area.id == CreationCriteria.area_id)
        .where(Area.code.in_(ancestor_codes(area.code)), CreationCriteria.kind == kind)
        .order_by(Area.code.desc()).limit(1))
    return found or CreationCriteria(kind=kind, **DEFAULTS[kind])


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day when it has fewer days)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass
class Check:
    """One criterion: met or not, with the figure behind it. ``numerator``/``denominator`` make a rate;
    a count has no denominator."""

    key: str
    met: bool
    threshold: int
    numerator: int = 0
    denominator: int | None = None
    parts: dict = field(default_factory=dict)
    note: str = ""

    @property
    def label(self) -> str:
        return str(LABELS[self.key])

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass
class Evaluation:
    target: CreationTarget
    criteria: CreationCriteria
    start: date
    end: date
    checks: list[Check]

    @property
    def all_met(self) -> bool:
        return all(check.met for check in self.checks)

    @property
    def unmet(self) -> list[Check]:
        return [check for check in self.checks if not check.met]


def _at_least(numerator: int, denominator: int, percent: int) -> bool:
    """numerator/denominator ≥ percent %, in integers so 95 % is exactly 95 %."""
    return denominator > 0 and numerator * 100 >= percent * denominator


def _belongs(target: CreationTarget, area_column, target_column):
    """Records of a target: a community's are those in its area as well as those tied to it."""
    if target.kind.tied_to_area:
        return sa.or_(within(area_column, target.area.code), target_column == target.id)
    return target_column == target.id


def latest_round(target: CreationTarget, today: date) -> Round | None:
    """The latest round that has ended; while the first round is still running, that round. A round in
    progress is not judged half-way through."""
    rounds = rounds_for(target.area.code)
    return (db.session.scalar(rounds.where(Round.ends_on < today).limit(1))
            or db.session.scalar(rounds.where(Round.starts_on <= today).limit(1)))


def _three_no(target, criteria, start, end) -> Check:
    rows = db.session.execute(
        sa.select(Incident.kind, sa.func.count()).join(Area, Area.id == Incident.village_id)
        .where(_belongs(target, Area.code, Incident.target_id), Incident.occurred_on.between(start, end))
        .group_by(Incident.kind)).all()
    parts = {kind.value: 0 for kind in IncidentKind} | {kind.value: int(n) for kind, n in rows}
    return Check("three_no", met=sum(parts.values()) == 0, threshold=0, numerator=sum(parts.values()), parts=parts)


def _coverage(target, criteria, round_) -> Check:
    if round_ is None:
        return Check("coverage", met=False, threshold=criteria.min_coverage, note=str(_l("No round has started yet.")))
    figures = area_figures(round_.id, target.area)
    return Check("coverage", met=_at_least(figures.reached, figures.in_scope, criteria.min_coverage),
                 threshold=criteria.min_coverage, numerator=figures.reached, denominator=figures.in_scope,
                 note=round_.name)


def _install_rate(target, criteria, round_, start, end) -> Check:
    if target.kind.tied_to_area:
        residents = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Household.members), 0))
                                      .join(Area, Area.id == Household.grid_id)
                                      .where(within(Area.code, target.area.code)))
        installs = area_figures(round_.id, target.area).app_installs if round_ else 0
        installs, denominator = min(installs, int(residents)), int(residents)
        note = str(_l("Installs logged on door-knocking visits, against residents."))
    else:
        installs = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(PublicityEvent.app_installs), 0))
            .where(PublicityEvent.target_id == target.id, PublicityEvent.held_on.between(start, end)))
        installs, denominator = min(int(installs), target.headcount), target.headcount
        note = str(_l("Installs logged at its events, against its headcount."))
    return Check("install_rate", met=_at_least(installs, denominator, criteria.min_install_rate),
                 threshold=criteria.min_install_rate, numerator=installs, denominator=denominator, note=note)


def _events(target, criteria, start, end) -> Check:
    count = db.session.scalar(
        sa.select(sa.func.count(PublicityEvent.id)).join(Area, Area.id == PublicityEvent.area_id)
        .where(_belongs(target, Area.code, PublicityEvent.target_id), PublicityEvent.held_on.between(start, end)))
    return Check("events", met=count >= criteria.min_events, threshold=criteria.min_events, numerator=int(count))


def _face_rate(target, criteria, start, end) -> Check:
    first, last = day_bounds(start, end)
    total, met = db.session.execute(
        sa.select(sa.func.count(FraudWarning.id), sa.func.count(FraudWarning.first_face_at))
        .join(Area, Area.id == FraudWarning.area_id)
        .where(_belongs(target, Area.code, FraudWarning.target_id),
               FraudWarning.received_at >= first, FraudWarning.received_at < last)).one()
    total, met = int(total), int(met)
    return Check("face_rate", met=total == 0 or _at_least(met, total, criteria.min_face_rate),
                 threshold=criteria.min_face_rate, numerator=met, denominator=total,
                 note="" if total else str(_l("No warnings in the window.")))


def evaluate(target: CreationTarget, *, today: date | None = None) -> Evaluation:
    """Every criterion that applies to the target, over the window ending today."""
    end = today or local_today()
    criteria = criteria_for(target.area, target.kind)
    start = months_before(end, criteria.window_months) + timedelta(days=1)
    round_ = latest_round(target, end)
    checks = []
    if criteria.three_no:
        checks.append(_three_no(target, criteria, start, end))
    if criteria.min_coverage is not None and target.kind.tied_to_area:
        checks.append(_coverage(target, criteria, round_))
    if criteria.min_install_rate is not None:
        checks.append(_install_rate(target, criteria, round_, start, end))
    if criteria.min_events is not None:
        checks.append(_events(target, criteria, start, end))
    if criteria.min_face_rate is not None:
        checks.append(_face_rate(target, criteria, start, end))
    return Evaluation(target=target, criteria=criteria, start=start, end=end, checks=checks)
