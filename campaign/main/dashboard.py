"""The home page's figures (首页看板): on screen, what the progress report (通报) prints on paper, for the
user's own area. The figures come from the report's and the features' own services, which read the
tallies; the one figure that reads visits, the round's coverage day by day, counts its past days once
a day per area and round and keeps them (``trend``). The ranking, the cases by month and the cases'
totals are the report's and the zero-incident page's own functions, so that screen and paper agree."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within
from campaign.core.types import utcnow
from campaign.coverage.services import Figures, area_figures, child_figures, level_figures
from campaign.creation.access import targets_query
from campaign.creation.models import CreationTarget, TargetKind, TargetStatus
from campaign.extensions import db
from campaign.incidents.models import Incident, IncidentKind
from campaign.incidents.zero import _totals, change, year_earlier
from campaign.reports.figures import REPORT_LEVELS, Row, _monthly_cases, _ranked, report_round, row_level
from campaign.rounds.models import Round
from campaign.rounds.services import current_round
from campaign.visits.models import TALLY_COLUMNS
from campaign.warnings.access import warnings_query
from campaign.warnings.models import FraudWarning

from . import charts
from . import trend as trends

LISTED = 6  # warnings, and targets to review, listed on a card; the rest are a click away


@dataclass
class Due:
    """An open warning and how long is left before its deadline for the first face-to-face contact."""

    warning: FraudWarning
    left: timedelta | None  # None once met face to face
    overdue: bool


@dataclass
class Warnings:
    open: int = 0
    overdue: int = 0
    items: list[Due] = field(default_factory=list)


@dataclass
class Cases:
    """Cases (涉诈案件, kind case only) this year so far against the same days a year earlier, and the
    villages with none: the zero-incident report's totals, without listing every village of a city."""

    start: date
    end: date
    cases: int = 0
    cases_before: int = 0
    villages: int = 0
    villages_with_cases: int = 0

    @property
    def cases_change(self) -> float | None:
        return change(self.cases, self.cases_before)

    @property
    def zero_villages(self) -> int:
        return self.villages - self.villages_with_cases


@dataclass
class Creation:
    by_kind: dict[TargetKind, Counter] = field(default_factory=dict)
    by_status: Counter = field(default_factory=Counter)
    review: int = 0
    to_review: list[CreationTarget] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass
class TrendCard:
    """The round's coverage day by day; ``chart`` is None while the past days are being counted."""

    area: Area
    round: Round
    figures: Figures
    trend: trends.Trend
    chart: charts.TrendChart | None


@dataclass
class Board:
    """An official's or a county office's home page."""

    area: Area
    today: date
    round: Round | None
    figures: Figures
    rows: list[Row]
    card: TrendCard | None
    warnings: Warnings
    cases: Cases
    monthly: list[tuple[date, int, int]]
    creation: Creation

    @property
    def year_earlier(self) -> tuple[date, date]:
        """The same days a year earlier than this year's so far, which the cases are compared with."""
        return year_earlier(self.cases.start), year_earlier(self.cases.end)

    @property
    def cases_chart(self) -> charts.CasesChart:
        return charts.cases_chart(self.monthly)

    @property
    def shown_rows(self) -> list[Row | None]:
        """The ranking as the card shows it: the first rows, a gap (None), then the bottom five; all of
        it when it is short."""
        if len(self.rows) <= 2 * LISTED:
            return self.rows
        bottom = [row for row in self.rows if row.bottom]
        return [*self.rows[:LISTED], None, *bottom] if bottom else self.rows[:2 * LISTED]

    @property
    def statuses(self) -> list[TargetStatus]:
        return list(TargetStatus)


@dataclass
class WorkerHome:
    """A grid worker's home page: their grids' progress in the round, and their open warnings."""

    round: Round | None
    grids: list[tuple[Area, Figures]]
    total: Figures
    warnings: Warnings


def board(area: Area, *, user, today: date) -> Board:
    round_ = report_round(area, today)
    rows = ranking(area, round_)
    figures = summed(area, rows) if rows else \
        area_figures(round_.id, area) if round_ else Figures(households=area.household_count)
    return Board(area=area, today=today, round=round_, figures=figures, rows=rows,
                 card=trend_card(area, round_, figures, today=today) if round_ else None,
                 warnings=open_warnings(user, area=area), cases=cases(area, date(today.year, 1, 1), today),
                 monthly=_monthly_cases(area, today), creation=creation(user, area=area))


def trend_card(area: Area, round_: Round, figures: Figures, *, today: date) -> TrendCard:
    trend = trends.trend(area, round_, figures, today=today)
    chart = None if trend.pending else charts.trend_chart(trend.length, trend.current, trend.last)
    return TrendCard(area=area, round=round_, figures=figures, trend=trend, chart=chart)


def trend_board(area: Area, *, today: date) -> TrendCard | None:
    """The trend's card alone, for the page to fetch once the days are counted."""
    round_ = report_round(area, today)
    return trend_card(area, round_, area_figures(round_.id, area), today=today) if round_ else None


def worker_home(user, *, today: date) -> WorkerHome:
    grids = sorted(user.grids, key=lambda grid: grid.code)
    round_ = current_round(grids[0].code, today=today) if grids else None
    rows = [(grid, area_figures(round_.id, grid)) for grid in grids] if round_ else []
    total = Figures()
    for _grid, figures in rows:
        for name in ("households", "reached", "not_home", "refused", "vacant", "visits", "flagged"):
            setattr(total, name, getattr(total, name) + getattr(figures, name))
    return WorkerHome(round=round_, grids=rows, total=total, warnings=open_warnings(user))


def ranking(area: Area, round_: Round | None) -> list[Row]:
    """The sub-areas ranked as the report ranks them (townships for a county or city, villages for a
    township), the bottom five marked."""
    if round_ is None:
        return []
    if area.level in REPORT_LEVELS:
        pairs = level_figures(round_.id, area, row_level(area))
    else:
        pairs = child_figures(round_.id, area)
    return _ranked([Row(area=a, coverage=f) for a, f in pairs], by_coverage=True)


def summed(area: Area, rows: list[Row]) -> Figures:
    """The area's figures as the sum of its ranked sub-areas' tallies (every grid lies in one of them, its
    code under theirs), which saves a second pass over a city's grids."""
    figures = Figures(households=area.household_count)
    for row in rows:
        for name in TALLY_COLUMNS:
            setattr(figures, name, getattr(figures, name) + getattr(row.coverage, name))
    return figures


def overdue_clause(now: datetime):
    """As ``FraudWarning.overdue``: no face-to-face contact by the deadline, or a late one."""
    return sa.or_(sa.and_(FraudWarning.first_face_at.is_(None), FraudWarning.deadline_at < now),
                  FraudWarning.first_face_at > FraudWarning.deadline_at)


def open_warnings(user, *, area: Area | None = None, now: datetime | None = None) -> Warnings:
    """Open warnings in the area (a worker: assigned to them), the most urgent listed first: those not yet
    met face to face, by their deadline."""
    now = now or utcnow()
    query = warnings_query(user, area=area).where(FraudWarning.closed_at.is_(None))
    late = overdue_clause(now)
    total, overdue = db.session.execute(query.order_by(None).with_only_columns(
        sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((late, 1), else_=0)), 0))).one()
    listed = db.session.scalars(
        query.order_by(None).order_by(FraudWarning.first_face_at.is_not(None), FraudWarning.deadline_at)
        .options(so.contains_eager(FraudWarning.area), so.selectinload(FraudWarning.assigned_to)).limit(LISTED))
    items = [Due(warning=w, left=None if w.first_face_at else w.deadline_at - now, overdue=w.overdue(now))
             for w in listed]
    return Warnings(open=int(total), overdue=int(overdue), items=items)


def cases(area: Area, start: date, end: date) -> Cases:
    """Counted as the zero-incident page counts them, a handful of counts whatever the area's size."""
    result = Cases(start=start, end=end)
    result.cases = _totals(area, start, end)[0]
    result.cases_before = _totals(area, year_earlier(start), year_earlier(end))[0]
    in_area = within(Area.code, area.code)
    result.villages = db.session.scalar(sa.select(sa.func.count()).select_from(Area).where(
        in_area, Area.level == AreaLevel.VILLAGE))
    result.villages_with_cases = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Incident.village_id))).join(Area, Area.id == Incident.village_id)
        .where(in_area, Incident.kind == IncidentKind.CASE, Incident.occurred_on.between(start, end)))
    return result


def creation(user, *, area: Area) -> Creation:
    """Creation targets by kind and status as they stand now (the creation list's own counts), and those
    flagged for review (复核)."""
    query = targets_query(user, area=area)
    result = Creation()
    for kind, status, n in db.session.execute(query.with_only_columns(
            CreationTarget.kind, CreationTarget.status, sa.func.count())
            .group_by(CreationTarget.kind, CreationTarget.status)):
        result.by_kind.setdefault(kind, Counter())[status] += int(n)
        result.by_status[status] += int(n)
    review = query.where(CreationTarget.review_flagged_at.is_not(None))
    result.review = db.session.scalar(review.with_only_columns(sa.func.count()))
    if result.review:
        result.to_review = list(db.session.scalars(review.order_by(CreationTarget.review_flagged_at).limit(LISTED)))
    result.by_kind = {kind: result.by_kind[kind] for kind in TargetKind if kind in result.by_kind}
    return result

