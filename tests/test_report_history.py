"""A report tells the truth about its period: households, titles held, creation statuses and the
ranking as they stood at the period's end, built from a history made on known dates (import, move,
removal, certify, revoke, certify again) and checked against hand-computed figures, in the figures,
the PDF text and the workbook cells."""
import io
import re
from datetime import UTC, date, datetime, time
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import load_workbook
from pypdf import PdfReader

from campaign.areas.models import Area
from campaign.areas.services import recount_households
from campaign.core.clock import zone
from campaign.creation import services as creation
from campaign.creation.models import TargetKind, TargetStatus
from campaign.extensions import db
from campaign.households import services as households
from campaign.households.importer import import_households
from campaign.households.models import Household
from campaign.reports.asof import UNKNOWN
from campaign.reports.figures import build_report
from campaign.reports.services import make_report
from campaign.visits.services import record_visits

from . import factories, visiting
from .test_certificates import open_criteria

A, B = "610923100", "610923101"  # the two townships


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=zone()).astimezone(UTC)


@pytest.fixture
def clock(monkeypatch):
    """Sets the instant the household and creation services write into their histories."""
    now = SimpleNamespace(value=None)
    for module in ("campaign.households.history", "campaign.creation.services"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: now.value)

    def set_day(day: date) -> None:
        now.value = _at(day)
    return set_day


def _door(grid, label):
    return db.session.scalar(sa.select(Household).where(Household.grid_id == grid.id, Household.door_label == label))


def _fields(household, **change):
    values = {name: getattr(household, name) for name in ("door_label", "head_name", "phone", "members",
                                                           "elderly_alone", "at_risk", "lat", "lon")}
    return households.check_fields(**{**values, **change})


@pytest.fixture
def history(ctx, clock):
    """Town A: 3 households imported 2025-03-01, one moved to town B on 2025-06-15, one added 2026-01-20.
    Town B: 2 imported 2025-03-01, one removed 2025-09-10. 城南社区 (A) certified 2025-04-10, revoked
    2025-08-01; 四亩地村 (B) certified 2025-10-05. A round from 2025-05-01 reaches one door in each."""
    c = factories.small_county()
    db.session.execute(sa.delete(Household))  # the factory's households have no history: start afresh
    recount_households()
    open_criteria(c.root)
    clock(date(2025, 2, 1))
    village_a = creation.create_target(area=c.village_a, fields=creation.check_fields(
        kind=TargetKind.COMMUNITY, name="", area=c.village_a))
    village_b = creation.create_target(area=c.village_b, fields=creation.check_fields(
        kind=TargetKind.COMMUNITY, name="", area=c.village_b))
    clock(date(2025, 3, 1))
    roster = "网格编码,门牌/地址\n" + "".join(f"{c.grid_a1.code},{n}号\n" for n in (1, 2, 3)) + \
        "".join(f"{c.grid_b1.code},{n}号\n" for n in (1, 2))
    assert import_households(roster.encode()).ok
    for day, action in ((date(2025, 4, 1), "start"), (date(2025, 4, 1), "apply"), (date(2025, 4, 10), "certify")):
        clock(day)
        creation.transition(village_a, action, user=c.admin, today=day)
    round_ = factories.RoundFactory(area=c.root, name="2025年第一轮", starts_on=date(2025, 5, 1),
                                    ends_on=date(2025, 12, 31))
    c.worker_a.grids = [c.grid_a1, c.grid_a2, c.grid_b1]
    results = record_visits(worker=c.worker_a, items=[
        visiting.visit(_door(c.grid_a1, "1号"), round_.id, gps=None,
                       visited_at=_at(date(2025, 5, 10)).isoformat()),
        visiting.visit(_door(c.grid_b1, "2号"), round_.id, gps=None,
                       visited_at=_at(date(2025, 5, 10)).isoformat()),
    ])
    assert [x.status for x in results] == ["created", "created"]
    later = record_visits(worker=c.worker_a, items=[  # door 2 of town A: not home in May, reached in August
        visiting.visit(_door(c.grid_a1, "2号"), round_.id, gps=None, outcome="not_home",
                       visited_at=_at(date(2025, 5, 20)).isoformat()),
        visiting.visit(_door(c.grid_a1, "2号"), round_.id, gps=None, installs=1,
                       visited_at=_at(date(2025, 8, 20)).isoformat()),
    ])
    assert [x.status for x in later] == ["created", "created"]
    clock(date(2025, 6, 15))
    moving = _door(c.grid_a1, "3号")
    households.update_household(moving, grid=c.grid_b1, fields=_fields(moving, door_label="3号"))
    clock(date(2025, 8, 1))
    creation.transition(village_a, "revoke", user=c.admin, reason="发生案件", today=date(2025, 8, 1))
    clock(date(2025, 9, 10))
    households.delete_household(_door(c.grid_b1, "1号"))
    clock(date(2025, 10, 5))
    for action in ("start", "apply", "certify"):
        creation.transition(village_b, action, user=c.admin, today=date(2025, 10, 5))
    clock(date(2026, 1, 20))
    households.create_household(grid=c.grid_a2, fields=households.check_fields(
        door_label="9号", head_name=None, phone=None, members=2, elderly_alone=False, at_risk=False, lat=None,
        lon=None))
    db.session.commit()
    return c


def _county():
    return db.session.scalar(sa.select(Area).where(Area.code == "610923"))


def _figures(start, end):
    r = build_report(_county(), start, end)
    rows = {row.area.code: row for row in r.rows}
    return r, rows


# (period, households A, B, county; titles held A, B; community targets by status; first-ranked town)
PERIODS = [
    ((date(2025, 5, 1), date(2025, 5, 31)), 3, 2, 5, 1, 0, {TargetStatus.CERTIFIED: 1, TargetStatus.NOT_STARTED: 1}, B),
    ((date(2025, 7, 1), date(2025, 7, 31)), 2, 3, 5, 1, 0, {TargetStatus.CERTIFIED: 1, TargetStatus.NOT_STARTED: 1}, A),
    ((date(2025, 9, 1), date(2025, 9, 30)), 2, 2, 4, 0, 0, {TargetStatus.REVOKED: 1, TargetStatus.NOT_STARTED: 1}, A),
    ((date(2025, 1, 1), date(2025, 12, 31)), 2, 2, 4, 0, 1, {TargetStatus.REVOKED: 1, TargetStatus.CERTIFIED: 1}, A),
]


@pytest.mark.parametrize(("period", "hh_a", "hh_b", "hh", "held_a", "held_b", "statuses", "first"), PERIODS)
def test_a_past_period_counts_the_roster_titles_and_statuses_of_its_end(history, period, hh_a, hh_b, hh, held_a,
                                                                        held_b, statuses, first):
    r, rows = _figures(*period)
    assert (rows[A].coverage.households, rows[B].coverage.households, r.coverage.households) == (hh_a, hh_b, hh)
    assert (rows[A].certified, rows[B].certified, r.titles_held) == (held_a, held_b, held_a + held_b)
    assert dict(r.targets[TargetKind.COMMUNITY]) == statuses
    assert r.rows[0].area.code == first  # the ranking follows the households of the period's end
    assert not r.households_note and not rows[A].note


def test_coverage_in_a_past_period_is_reached_over_the_households_of_then(history):
    may, _ = _figures(date(2025, 5, 1), date(2025, 5, 31))[1], None
    july = _figures(date(2025, 7, 1), date(2025, 7, 31))[1]
    assert may[A].coverage.coverage == pytest.approx(1 / 3) and may[B].coverage.coverage == pytest.approx(1 / 2)
    assert july[A].coverage.coverage == pytest.approx(1 / 2) and july[B].coverage.coverage == pytest.approx(1 / 3)


def test_a_period_ending_mid_round_counts_only_the_visits_before_its_end(history):
    may = _figures(date(2025, 5, 1), date(2025, 5, 31))
    a = may[1][A].coverage
    assert (a.reached, a.not_home, a.app_installs, a.visits) == (1, 1, 0, 2)
    assert (may[0].coverage.reached, may[0].coverage.not_home) == (2, 1)
    september = _figures(date(2025, 9, 1), date(2025, 9, 30))[1][A].coverage
    assert (september.reached, september.not_home, september.app_installs, september.coverage) == (2, 0, 1, 1.0)


def test_today_counts_the_household_added_this_year_and_not_the_removed_one(history):
    r, rows = _figures(date(2026, 1, 1), date(2026, 2, 28))
    assert (rows[A].coverage.households, rows[B].coverage.households) == (3, 2)
    assert _county().household_count == 5


def test_a_period_before_the_first_roster_says_it_uses_the_first_one(history):
    r, rows = _figures(date(2025, 2, 1), date(2025, 2, 28))
    assert (rows[A].coverage.households, rows[B].coverage.households, r.coverage.households) == (3, 2, 5)
    with force_locale("zh_CN"):
        note = _("Households as on the roster first recorded on %(day)s", day="2025-03-01")
        assert str(r.households_note) == note and str(rows[A].note) == note
    assert dict(r.targets[TargetKind.COMMUNITY]) == {TargetStatus.NOT_STARTED: 2}
    assert r.titles_held == 0


def test_a_period_before_a_target_was_registered_leaves_it_out(history):
    r, _rows = _figures(date(2025, 1, 1), date(2025, 1, 31))
    assert r.targets == {}


def _pdf_text(data: bytes) -> str:
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def test_the_pdf_prints_the_figures_of_the_periods_end(history):
    text = _pdf_text(make_report(_county(), date(2025, 7, 1), date(2025, 7, 31), "pdf").data)
    # ranking: 城关镇 first with 2 in scope, 1 reached, 50.00%; 四亩地镇 3 in scope, 33.33%
    assert re.search(r"1城关镇2150\.00%", text), text
    assert re.search(r"2四亩地镇3133\.33%", text), text
    with force_locale("zh_CN"):
        assert re.sub(r"\s+", "", _("%(n)s held at its end", n=1)) in text
    early = _pdf_text(make_report(_county(), date(2025, 2, 1), date(2025, 2, 28), "pdf").data)
    with force_locale("zh_CN"):
        assert re.sub(r"\s+", "", _("Households as on the roster first recorded on %(day)s", day="2025-03-01")) in early


def test_the_workbook_cells_hold_the_figures_of_the_periods_end(history):
    book = load_workbook(io.BytesIO(make_report(_county(), date(2025, 9, 1), date(2025, 9, 30), "xlsx").data))
    summary = {cell.value: value for cell, value in zip(book["概况"][1], book["概况"][2], strict=True)}
    assert summary["应走访户数"].value == 4 and summary["期末持牌数"].value == 0
    assert summary["入户覆盖率"].value == pytest.approx(3 / 4) and summary["入户覆盖率"].number_format == "0.00%"
    ranking = [[cell.value for cell in row] for row in book["排名"].iter_rows()]
    header = ranking[0]
    rows = {row[header.index("区划代码")]: dict(zip(header, row, strict=True)) for row in ranking[1:]}
    assert (rows[A]["应走访户数"], rows[A]["期末持牌数"], rows[B]["应走访户数"]) == (2, 0, 2)
    assert book["排名"].cell(row=2, column=header.index("入户覆盖率") + 1).number_format == "0.00%"
    creation_sheet = [[cell.value for cell in row] for row in book["创建进展"].iter_rows()]
    columns = dict(zip(creation_sheet[0], creation_sheet[1], strict=True))
    assert (columns["已摘牌"], columns["未启动"], columns["已授牌"]) == (1, 1, 0)


def test_a_target_whose_earlier_status_is_not_on_record_is_counted_as_such(ctx, clock):
    c = factories.small_county()
    clock(date(2025, 1, 5))
    target = creation.create_target(area=c.village_a, fields=creation.check_fields(
        kind=TargetKind.COMMUNITY, name="", area=c.village_a))
    # as the migration leaves a target whose course before its last change went unrecorded
    from campaign.creation.models import TargetStatusChange
    db.session.execute(sa.update(TargetStatusChange).values(status=None))
    db.session.add(TargetStatusChange(target_id=target.id, status=TargetStatus.IN_PROGRESS, at=_at(date(2025, 6, 1))))
    db.session.commit()
    assert dict(_figures(date(2025, 3, 1), date(2025, 3, 31))[0].targets[TargetKind.COMMUNITY]) == {UNKNOWN: 1}
    assert dict(_figures(date(2025, 6, 1), date(2025, 6, 30))[0].targets[TargetKind.COMMUNITY]) == {
        TargetStatus.IN_PROGRESS: 1}


def test_an_emptied_grid_with_a_roster_history_can_still_be_deleted(ctx, clock):
    from campaign.areas.services import delete_area
    from campaign.households.history import HouseholdPlacement

    c = factories.small_county()
    grid = factories.AreaFactory(code="610923100001009", name="临时网格", parent=c.village_a)
    clock(date(2025, 3, 1))
    household = households.create_household(grid=grid, fields=households.check_fields(
        door_label="1号", head_name=None, phone=None, members=1, elderly_alone=False, at_risk=False, lat=None,
        lon=None))
    clock(date(2025, 3, 2))
    households.delete_household(household)
    grid_id = grid.id
    delete_area(grid)  # the spans go with it (ON DELETE CASCADE where foreign keys are enforced)
    db.session.commit()
    assert db.session.get(Area, grid_id) is None
    if db.engine.dialect.name == "postgresql":
        assert db.session.scalar(sa.select(sa.func.count()).select_from(HouseholdPlacement)
                                 .where(HouseholdPlacement.grid_id == grid_id)) == 0


def test_the_map_colours_villages_by_their_coverage_at_the_periods_end(history):
    from campaign.reports.pdf import map_features

    def village_a(start, end):
        features = map_features(build_report(_county(), start, end))
        return next(f["properties"] for f in features if f["properties"]["k"] == history.village_a.code)

    may, september = village_a(date(2025, 5, 1), date(2025, 5, 31)), village_a(date(2025, 9, 1), date(2025, 9, 30))
    assert (may["r"], may["s"], may["v"]) == (1, 3, 33.3)
    assert (september["r"], september["s"], september["v"]) == (2, 2, 100.0)
