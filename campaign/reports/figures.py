"""Every figure of a progress report, read with one grouped query per subject, so that a city
report (hundreds of townships, thousands of villages) costs a handful of queries."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within
from campaign.core.clock import day_bounds, local_today
from campaign.core.types import UTCDateTime
from campaign.coverage.services import Figures, area_figures, level_figures
from campaign.creation.models import Certificate, CreationTarget, TargetKind
from campaign.events.models import PublicityEvent
from campaign.extensions import db
from campaign.households.models import Household
from campaign.incidents.models import FraudType, Incident, IncidentKind
from campaign.incidents.zero import ZeroReport, year_earlier, zero_report
from campaign.jobs import runner
from campaign.rounds.models import Round
from campaign.rounds.services import rounds_for
from campaign.visits.models import TALLY_COLUMNS, Outcome, Visit
from campaign.warnings.figures import WarningFigures, warning_figures
from campaign.warnings.models import FraudWarning

from . import asof

REPORT_LEVELS = (AreaLevel.CITY, AreaLevel.COUNTY, AreaLevel.TOWNSHIP)
BOTTOM = 5  # the laggards named at the foot of the ranking


@dataclass
class Row:
    """One township (or village, in a township's report) in the ranked table."""

    area: Area
    coverage: Figures
    cases: int = 0
    loss: Decimal = Decimal(0)
    warnings: int = 0
    met_face: int = 0
    events: int = 0
    certified: int = 0  # titles held at the period's end
    rank: int = 0
    bottom: bool = False
    note: object = ""  # a lazy string: when its households at the period's end are not fully on record

    @property
    def face_rate(self) -> float | None:
        return self.met_face / self.warnings if self.warnings else None


@dataclass
class Events:
    count: int = 0
    attendees: int = 0
    app_installs: int = 0


@dataclass
class Report:
    area: Area
    start: date
    end: date
    issued_on: date
    round: Round | None
    coverage: Figures
    zero: ZeroReport
    warnings: WarningFigures
    events: Events
    rows: list[Row]
    households_note: object = ""  # a lazy string
    titles_held: int = 0
    awarded: list[Certificate] = field(default_factory=list)
    revoked: list[Certificate] = field(default_factory=list)
    targets: dict[TargetKind, Counter] = field(default_factory=dict)
    fraud_types: list[tuple[FraudType, int, Decimal]] = field(default_factory=list)
    weekly: list[tuple[date, int, float | None]] = field(default_factory=list)  # week start, reached, coverage
    monthly: list[tuple[date, int, int]] = field(default_factory=list)  # month, cases, cases a year earlier

    @property
    def row_level(self) -> AreaLevel:
        return row_level(self.area)

    @property
    def app_installs(self) -> int:
        return self.coverage.app_installs + self.events.app_installs

    @property
    def bottom_rows(self) -> list[Row]:
        return [row for row in self.rows if row.bottom]


def row_level(area: Area) -> AreaLevel:
    """Townships for a county or city, villages for a township."""
    return AreaLevel.VILLAGE if area.level is AreaLevel.TOWNSHIP else AreaLevel.TOWNSHIP


def report_round(area: Area, end: date) -> Round | None:
    """The round running at the period's end, or else the last one started before it."""
    return db.session.scalar(rounds_for(area.code).where(Round.starts_on <= end).limit(1))


STAGES = 8  # six here, then drawing and printing
_STAGE = {"coverage": _l("Counting coverage"), "incidents": _l("Counting incidents"),
          "warnings": _l("Counting warnings"), "events": _l("Counting events"),
          "creation": _l("Counting fraud-free titles"), "trends": _l("Working out the trends")}


def build_report(area: Area, start: date, end: date, *, issued_on: date | None = None) -> Report:
    """The report's figures; ``runner.stage`` tells a background job how far it has got."""
    round_ = report_round(area, end)
    runner.stage(0, STAGES, _STAGE["coverage"])
    coverage = area_figures(round_.id, area) if round_ else Figures()
    roster = asof.rosters(area, len(area.code), end).get(area.code, asof.Roster())
    coverage.households = roster.households
    rows = _rows(area, round_, end)
    if round_ and asof.visits_after(round_.id, area, asof.end_instant(end)):
        _tallies_at_end(coverage, rows, area, round_, end)
    runner.stage(1, STAGES, _STAGE["incidents"])
    zero = zero_report(area, start, end)
    _add_incidents(rows, area, start, end)
    runner.stage(2, STAGES, _STAGE["warnings"])
    warnings = warning_figures(area, start, end)
    _add_warnings(rows, area, start, end)
    runner.stage(3, STAGES, _STAGE["events"])
    events = _events(area, start, end)
    _add_events(rows, area, start, end)
    runner.stage(4, STAGES, _STAGE["creation"])
    _add_certified(rows, area, end)
    report = Report(area=area, start=start, end=end, issued_on=issued_on or local_today(), round=round_,
                    coverage=coverage, zero=zero, warnings=warnings, events=events,
                    rows=_ranked(list(rows.values()), by_coverage=round_ is not None),
                    households_note=roster.note, titles_held=asof.titles_held(area, len(area.code), end)[area.code])
    report.awarded, report.revoked = _certificates(area, start, end)
    report.targets = asof.statuses_at(area, end)
    runner.stage(5, STAGES, _STAGE["trends"])
    report.fraud_types = _fraud_types(area, start, end)
    report.monthly = _monthly_cases(area, end)
    report.weekly = _weekly_coverage(area, round_, coverage.in_scope, end) if round_ else []
    return report


# --- the ranked table -------------------------------------------------------------------------

def _rows(area: Area, round_: Round | None, end: date) -> dict[str, Row]:
    """The rows with their households as they stood at the period's end."""
    level = row_level(area)
    if round_ is not None:
        pairs = level_figures(round_.id, area, level)
    else:
        pairs = [(a, Figures()) for a in db.session.scalars(
            sa.select(Area).where(within(Area.code, area.code), Area.level == level))]
    rows = {a.code: Row(area=a, coverage=f) for a, f in sorted(pairs, key=lambda p: p[0].code)}
    if rows:
        rosters = asof.rosters(area, len(next(iter(rows))), end)
        for code, row in rows.items():
            roster = rosters.get(code, asof.Roster())
            row.coverage.households, row.note = roster.households, roster.note
    return rows


def _tallies_at_end(coverage: Figures, rows: dict[str, Row], area: Area, round_: Round, end: date) -> None:
    """The round goes on past the period: count its visits up to the period's end only."""
    at = asof.end_instant(end)
    targets = [(coverage, area.code, len(area.code))]
    targets += [(row.coverage, code, len(code)) for code, row in rows.items()]
    found: dict[int, dict] = {}
    for figures, code, length in targets:
        if length not in found:
            found[length] = asof.tallies_at(round_.id, area, length, at)
        for name, value in found[length].get(code, dict.fromkeys(TALLY_COLUMNS, 0)).items():
            setattr(figures, name, value)


def _ranked(rows: list[Row], *, by_coverage: bool) -> list[Row]:
    """Best coverage first (then most reached, fewest cases); the last five with anything in scope
    are marked, when there are more than five to rank. Without a round, only code order."""
    rows.sort(key=lambda r: (r.coverage.coverage is None, -(r.coverage.coverage or 0), -r.coverage.reached,
                             r.cases, r.area.code))
    for rank, row in enumerate(rows, start=1):
        row.rank = rank
    rankable = [row for row in rows if row.coverage.coverage is not None] if by_coverage else []
    if len(rankable) > BOTTOM:
        for row in rankable[-BOTTOM:]:
            row.bottom = True
    return rows


def _prefix(rows: dict[str, Row]):
    length = len(next(iter(rows))) if rows else 9
    return sa.func.substr(Area.code, 1, length).label("prefix")


def _grouped(rows: dict[str, Row], area: Area, query: sa.Select) -> list[sa.Row]:
    """``query`` (selecting from Area) grouped by the rows' code prefix."""
    if not rows:
        return []
    prefix = _prefix(rows)
    return db.session.execute(query.add_columns(prefix).where(within(Area.code, area.code)).group_by(prefix)).all()


def _add_incidents(rows: dict[str, Row], area: Area, start: date, end: date) -> None:
    query = (sa.select(sa.func.count(Incident.id), sa.func.coalesce(sa.func.sum(Incident.loss), 0))
             .join(Area, Area.id == Incident.village_id)
             .where(Incident.kind == IncidentKind.CASE, Incident.occurred_on.between(start, end)))
    for cases, loss, prefix in _grouped(rows, area, query):
        if prefix in rows:
            rows[prefix].cases, rows[prefix].loss = int(cases), Decimal(loss)


def _add_warnings(rows: dict[str, Row], area: Area, start: date, end: date) -> None:
    first, last = day_bounds(start, end)
    query = (sa.select(sa.func.count(FraudWarning.id), sa.func.count(FraudWarning.first_face_at))
             .join(Area, Area.id == FraudWarning.area_id)
             .where(FraudWarning.received_at >= first, FraudWarning.received_at < last))
    for total, met, prefix in _grouped(rows, area, query):
        if prefix in rows:
            rows[prefix].warnings, rows[prefix].met_face = int(total), int(met)


def _event_query(start: date, end: date) -> sa.Select:
    return (sa.select(sa.func.count(PublicityEvent.id), sa.func.coalesce(sa.func.sum(PublicityEvent.attendees), 0),
                      sa.func.coalesce(sa.func.sum(PublicityEvent.app_installs), 0))
            .join(Area, Area.id == PublicityEvent.area_id).where(PublicityEvent.held_on.between(start, end)))


def _events(area: Area, start: date, end: date) -> Events:
    count, attendees, installs = db.session.execute(
        _event_query(start, end).where(within(Area.code, area.code))).one()
    return Events(int(count), int(attendees), int(installs))


def _add_events(rows: dict[str, Row], area: Area, start: date, end: date) -> None:
    for count, _attendees, _installs, prefix in _grouped(rows, area, _event_query(start, end)):
        if prefix in rows:
            rows[prefix].events = int(count)


def _add_certified(rows: dict[str, Row], area: Area, end: date) -> None:
    """Titles held at the period's end, from the certificates' dates (not today's statuses)."""
    if rows:
        held = asof.titles_held(area, len(next(iter(rows))), end)
        for code, row in rows.items():
            row.certified = held[code]


# --- creation ---------------------------------------------------------------------------------

def _certificates(area: Area, start: date, end: date) -> tuple[list[Certificate], list[Certificate]]:
    base = (sa.select(Certificate).join(CreationTarget, CreationTarget.id == Certificate.target_id)
            .join(Area, Area.id == CreationTarget.area_id).where(within(Area.code, area.code)))
    awarded = db.session.scalars(base.where(Certificate.issued_on.between(start, end))
                                 .order_by(Certificate.issued_on, Certificate.serial)).all()
    revoked = db.session.scalars(base.where(Certificate.revoked_on.between(start, end))
                                 .order_by(Certificate.revoked_on, Certificate.serial)).all()
    return list(awarded), list(revoked)


# --- incidents and trends ---------------------------------------------------------------------

def _fraud_types(area: Area, start: date, end: date) -> list[tuple[FraudType, int, Decimal]]:
    rows = db.session.execute(
        sa.select(Incident.fraud_type, sa.func.count(), sa.func.coalesce(sa.func.sum(Incident.loss), 0))
        .join(Area, Area.id == Incident.village_id)
        .where(within(Area.code, area.code), Incident.kind == IncidentKind.CASE,
               Incident.occurred_on.between(start, end))
        .group_by(Incident.fraud_type)).all()
    return sorted(((t, int(n), Decimal(loss)) for t, n, loss in rows), key=lambda r: (-r[1], -r[2]))


def month_starts(end: date, months: int = 12) -> list[date]:
    """The first days of the ``months`` calendar months ending with ``end``'s month."""
    year, month = end.year, end.month
    starts = []
    for _ in range(months):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def _monthly_cases(area: Area, end: date) -> list[tuple[date, int, int]]:
    """Cases in each of the twelve months up to ``end``, beside the same month a year earlier."""
    months = month_starts(end)
    first = year_earlier(months[0])
    counts: Counter = Counter()
    for day, n in db.session.execute(
            sa.select(Incident.occurred_on, sa.func.count()).join(Area, Area.id == Incident.village_id)
            .where(within(Area.code, area.code), Incident.kind == IncidentKind.CASE,
                   Incident.occurred_on.between(first, end)).group_by(Incident.occurred_on)):
        counts[day.replace(day=1)] += int(n)
    return [(m, counts[m], counts[year_earlier(m)]) for m in months]


def _weekly_coverage(area: Area, round_: Round, in_scope: int, end: date) -> list[tuple[date, int, float | None]]:
    """Households reached by the end of each week of the round (up to the period's end), counting
    each household once, at its first visit that reached it. The weeks are counted in SQL (a CASE
    over the weeks' UTC bounds), so a city's millions of visits never leave the database."""
    last_day = min(end, round_.ends_on)
    weeks = (last_day - round_.starts_on).days // 7 + 1
    starts = [round_.starts_on + timedelta(days=7 * n) for n in range(weeks)]
    if not starts:
        return []
    first_reached = (sa.select(sa.func.min(Visit.visited_at).label("at"))
                     .join(Household, Household.id == Visit.household_id).join(Area, Area.id == Household.grid_id)
                     .where(Visit.round_id == round_.id, Visit.outcome == Outcome.REACHED, within(Area.code, area.code))
                     .group_by(Visit.household_id).subquery())
    ends = [day_bounds(start, min(start + timedelta(days=6), last_day))[1] for start in starts]
    week = sa.case(*[(first_reached.c.at < sa.bindparam(f"week_{n}", bound, type_=UTCDateTime), n)
                     for n, bound in enumerate(ends)], else_=None).label("week")
    counts = dict(db.session.execute(sa.select(week, sa.func.count()).group_by(week)).all())
    series, reached = [], 0
    for n, start in enumerate(starts):
        reached += counts.get(n, 0)
        series.append((start, reached, reached / in_scope if in_scope else None))
    return series
