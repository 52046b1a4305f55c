"""Progress reports (通报): figures against hand-computed ones, the PDF's text, fonts and first page,
the workbook, the page with its background job, and `flask report`."""
import io
import re
import subprocess
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import session
from openpyxl import load_workbook
from pypdf import PdfReader

from campaign.areas.models import Area, AreaLevel
from campaign.core.clock import local_today, zone
from campaign.core.types import utcnow
from campaign.coverage.services import Figures
from campaign.creation import certificates
from campaign.creation.models import CreationTarget, TargetKind, TargetStatus
from campaign.demo.builder import build_demo
from campaign.events import services as events
from campaign.events.models import EventKind
from campaign.extensions import db
from campaign.incidents.models import FraudType, IncidentKind
from campaign.incidents.services import IncidentFields, create_incident
from campaign.jobs import runner
from campaign.jobs.models import Job, JobState
from campaign.reports.figures import BOTTOM, Row, _ranked, build_report, month_starts
from campaign.reports.pdf import report_html
from campaign.reports.periods import PeriodKind, period_bounds
from campaign.reports.services import make_report
from campaign.visits.services import record_visits
from campaign.warnings import services as warnings
from campaign.warnings.models import AttemptKind, Level, WarningOutcome

from . import factories, visiting

TODAY = local_today()
START, END = TODAY - timedelta(days=30), TODAY
ROUND_START = TODAY - timedelta(days=13)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=zone()).astimezone(UTC)


def _case(village, day, loss, kind=IncidentKind.CASE, fraud=FraudType.BRUSHING):
    create_incident(village=village, fields=IncidentFields(
        occurred_on=day, fraud_type=fraud, loss=Decimal(loss), recovered=Decimal(0), case_ref="", description="",
        kind=kind))


@pytest.fixture
def reported(app):
    """The small county with one of everything a report counts, most of it in town A."""
    with app.app_context():
        c = factories.small_county()
        round_ = factories.RoundFactory(area=c.root, name="第一轮", starts_on=ROUND_START,
                                        ends_on=TODAY + timedelta(days=14))
        c.worker_a.grids = [c.grid_a1, c.grid_a2, c.grid_b1]
        a0, a1 = c.households_a[0], c.households_a[1]
        record_visits(worker=c.worker_a, items=[
            visiting.visit(a0, round_.id, installs=2, visited_at=_at(ROUND_START + timedelta(days=3)).isoformat()),
            visiting.visit(a1, round_.id, installs=1, visited_at=_at(ROUND_START + timedelta(days=9)).isoformat()),
            visiting.visit(c.households_b[0], round_.id, outcome="not_home",
                           visited_at=_at(ROUND_START + timedelta(days=9), 11).isoformat()),
        ])
        _case(c.village_a, TODAY - timedelta(days=3), 10000)
        _case(c.village_b, TODAY - timedelta(days=3), 0, kind=IncidentKind.DEN)  # not a case
        _case(c.village_b, TODAY - timedelta(days=368), 40000, fraud=FraudType.LOAN)  # a year earlier
        _case(c.village_b, TODAY - timedelta(days=60), 7000)  # before the period
        events.create_event(area=c.village_a, fields=events.check_fields(
            kind=EventKind.COURTYARD, held_on=TODAY - timedelta(days=5), target="", attendees=30, materials=10,
            organiser="城关镇", note="", app_installs=4))
        events.create_event(area=c.village_b, fields=events.check_fields(
            kind=EventKind.COURTYARD, held_on=TODAY - timedelta(days=90), target="", attendees=50, materials=0,
            organiser="", note=""))
        met = warnings.create_warning(area=c.village_a, resident="王某某", level=Level.HIGH,
                                      received_at=utcnow() - timedelta(days=2), user=c.official_a)
        warnings.log_attempt(met, at=utcnow() - timedelta(days=2) + timedelta(hours=1), kind=AttemptKind.FACE,
                             result="已见面")
        warnings.close(met, outcome=WarningOutcome.DISSUADED, loss_prevented=Decimal(5000))
        warnings.create_warning(area=c.village_a, resident="李某某", level=Level.LOW,
                                received_at=utcnow() - timedelta(days=1), user=c.official_a)
        village = CreationTarget(kind=TargetKind.COMMUNITY, name=c.village_b.name, area=c.village_b,
                                 status=TargetStatus.CERTIFIED)
        school = CreationTarget(kind=TargetKind.SCHOOL, name="城关小学", area=c.village_a, headcount=300,
                                status=TargetStatus.REVOKED)
        db.session.add_all([village, school])
        db.session.flush()
        certificates.issue(village, user=c.admin, today=TODAY - timedelta(days=2))
        old = certificates.issue(school, user=c.admin, today=TODAY - timedelta(days=200))
        old.revoked_on, old.revoke_reason = TODAY - timedelta(days=1), "发现涉诈窝点"
        db.session.commit()
        return factories.snapshot(c)


def _report(code="610923", start=START, end=END):
    return build_report(db.session.scalar(sa.select(Area).where(Area.code == code)), start, end)


# --- figures ----------------------------------------------------------------------------------

def test_county_figures_match_the_hand_count(ctx, reported):
    r = _report()
    assert r.round.name == "第一轮"
    assert (r.coverage.in_scope, r.coverage.reached, r.coverage.coverage) == (6, 2, 2 / 6)
    assert (r.coverage.app_installs, r.events.app_installs, r.app_installs) == (3, 4, 7)
    z = r.zero
    assert (z.cases, z.cases_before, z.cases_change) == (1, 1, 0)
    assert (z.loss, z.loss_before, z.loss_change) == (Decimal(10000), Decimal(40000), -0.75)
    assert (len(z.zero_villages), z.zero_village_share, z.zero_township_share) == (1, 0.5, 0.5)
    w = r.warnings
    assert (w.total, w.met_face, w.face_rate, w.loss_prevented) == (2, 1, 0.5, Decimal(5000))
    assert (r.events.count, r.events.attendees) == (1, 30)
    assert [c.target_name for c in r.awarded] == ["四亩地村"]
    assert [(c.target_name, c.revoke_reason) for c in r.revoked] == [("城关小学", "发现涉诈窝点")]
    assert r.targets[TargetKind.COMMUNITY][TargetStatus.CERTIFIED] == 1
    assert r.fraud_types == [(FraudType.BRUSHING, 1, Decimal(10000))]


def test_county_ranking_is_by_township_with_its_own_figures(ctx, reported):
    a, b = _report().rows
    assert (a.area.name, a.rank, a.coverage.in_scope, a.coverage.reached, a.coverage.coverage) == \
        ("城关镇", 1, 4, 2, 0.5)
    assert (a.cases, a.loss, a.warnings, a.met_face, a.face_rate, a.events, a.certified) == \
        (1, Decimal(10000), 2, 1, 0.5, 1, 0)
    assert (b.area.name, b.rank, b.coverage.coverage, b.cases, b.warnings, b.events, b.certified) == \
        ("四亩地镇", 2, 0.0, 0, 0, 0, 1)
    assert not a.bottom and not b.bottom  # five or fewer: nobody is named


def test_township_report_ranks_villages_and_sees_nothing_of_the_other_township(ctx, reported):
    r = _report("610923100")
    assert [row.area.name for row in r.rows] == ["城南社区"]
    assert (r.coverage.in_scope, r.coverage.reached, r.zero.cases, r.zero.cases_before) == (4, 2, 1, 0)
    assert r.awarded == [] and [c.target_name for c in r.revoked] == ["城关小学"]
    assert r.row_level is AreaLevel.VILLAGE


def test_trends_count_each_household_once_by_week_and_cases_by_month(ctx, reported):
    r = _report()
    assert [(start, reached) for start, reached, _share in r.weekly] == \
        [(ROUND_START, 1), (ROUND_START + timedelta(days=7), 2)]
    assert r.weekly[-1][2] == 2 / 6
    assert [m for m, _n, _b in r.monthly] == month_starts(END)
    assert sum(n for _m, n, _b in r.monthly) == 2  # this period's case and the one two months ago
    assert sum(b for _m, _n, b in r.monthly) == 1  # the case a year earlier, beside its month


def test_the_bottom_five_are_marked_only_among_ranked_rows():
    def row(code, reached, in_scope):
        return Row(area=Area(code=code, name=code), coverage=Figures(households=in_scope, reached=reached))
    def rows():
        return [row(f"61092310{n}", n, 10) for n in range(8)] + [row("610923199", 0, 0)]
    ranked = _ranked(rows(), by_coverage=True)
    assert [r.rank for r in ranked] == list(range(1, 10))
    assert ranked[-1].area.code == "610923199" and not ranked[-1].bottom  # nothing in scope: not ranked
    assert [r.area.code for r in ranked if r.bottom] == [f"61092310{n}" for n in (4, 3, 2, 1, 0)]
    assert len([r for r in _ranked(rows(), by_coverage=False) if r.bottom]) == 0 and BOTTOM == 5


@pytest.mark.parametrize("kind, day, bounds", [
    (PeriodKind.DAY, date(2026, 3, 4), (date(2026, 3, 4), date(2026, 3, 4))),
    (PeriodKind.WEEK, date(2026, 3, 4), (date(2026, 3, 2), date(2026, 3, 8))),
    (PeriodKind.MONTH, date(2024, 2, 10), (date(2024, 2, 1), date(2024, 2, 29))),
    (PeriodKind.YEAR, date(2022, 6, 1), (date(2022, 1, 1), date(2022, 12, 31))),
])
def test_periods(kind, day, bounds):
    assert period_bounds(kind, day) == bounds


# --- the PDF ----------------------------------------------------------------------------------

def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_holds_the_figures_and_chinese_headings(ctx, reported, tmp_path):
    made = make_report(db.session.scalar(sa.select(Area).where(Area.code == "610923")), START, END, "pdf")
    assert made.name.endswith(".pdf") and made.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(made.data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)  # A4
    text = re.sub(r"\s+", "", _pdf_text(made.data))
    for heading in ("宁陕县", "工作通报", "核心数据", "排名", "趋势", "覆盖率地图", "预警劝阻", "宣传活动", "无诈创建"):
        assert heading in text, heading
    for figure in ("33.3%", "1.00", "下降75.00%", "50.00%", "四亩地村", "城关小学", "发现涉诈窝点"):
        assert figure in text, figure
    assert "—1—" in text and "—2—" in text  # page numbers as official documents print them
    path = tmp_path / "report.pdf"
    path.write_bytes(made.data)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert rows and all("CJK" in row[0] for row in rows), fonts  # margin boxes too: nothing falls back
    assert all(row[-5] == "yes" for row in rows), fonts  # embedded
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
                   check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 2000


def test_every_page_margin_box_names_its_own_font(ctx, reported):
    html = report_html(_report())
    boxes = re.findall(r"@(top|bottom)-(left|center|right)\s*\{([^}]*)\}", html)
    assert len(boxes) >= 2  # the page number, outside: right on odd pages, left on even ones
    for _edge, _where, body in boxes:
        assert "font-family: 'Noto Serif CJK SC'" in body or "font-family: 'Noto Sans CJK SC'" in body \
            or "content: none" in body, body


def test_demo_county_report_for_2022_shows_the_ningshan_figures(ctx):
    build_demo(scale="county", seed=11)
    db.session.commit()
    made = make_report(db.session.scalar(sa.select(Area).where(Area.code == "610923")),
                       date(2022, 1, 1), date(2022, 12, 31), "pdf")
    text = re.sub(r"\s+", "", _pdf_text(made.data))
    for figure in ("宁陕县", "2022年1月1日至2022年12月31日", "下降35.71%", "19.39", "下降74.50%", "88.75%",
                   "54.55%", "71/80", "6/11"):
        assert figure in text, figure


# --- the workbook -----------------------------------------------------------------------------

def test_workbook_has_a_sheet_per_section_with_typed_columns(ctx, reported):
    made = make_report(db.session.scalar(sa.select(Area).where(Area.code == "610923")), START, END, "xlsx")
    book = load_workbook(io.BytesIO(made.data))
    assert book.sheetnames == ["概况", "排名", "每周覆盖率", "月度发案", "诈骗类型", "发案村", "创建进展", "授牌摘牌"]
    summary = book["概况"]
    header = [cell.value for cell in summary[1]]
    values = dict(zip(header, [cell for cell in summary[2]], strict=True))
    assert values["区划名称"].value == "宁陕县" and values["已入户户数"].value == 2
    assert values["入户覆盖率"].value == pytest.approx(2 / 6) and values["入户覆盖率"].number_format == "0.00%"
    assert values["损失金额(元)"].value == 10000 and values["损失同比"].value == pytest.approx(-0.75)
    assert values["见面劝阻率"].value == pytest.approx(0.5) and values["摘牌数"].value == 1
    assert summary.freeze_panes == "A2"
    ranking = [[cell.value for cell in row] for row in book["排名"].iter_rows()]
    assert ranking[0][:3] == ["排名", "区划代码", "名称"]
    assert ranking[1][:5] == [1, "610923100", "城关镇", 4, 2]
    titles = {row[1]: row for row in book["授牌摘牌"].iter_rows(min_row=2, values_only=True)}
    assert set(titles) == {"四亩地村", "城关小学"} and titles["城关小学"][6] == "发现涉诈窝点"


# --- the page, its job, and the command line --------------------------------------------------

def _wait_for_job(app, client, location: str) -> Job:
    job_id = location.rstrip("/").rsplit("/", 1)[-1]
    runner.wait(job_id, timeout=120)
    with app.app_context():
        return db.session.get(Job, job_id)


def test_page_builds_the_report_in_the_background_and_hands_it_over(app, client, auth, reported):
    auth.login("official_a")
    page = client.get("/reports/")
    assert page.status_code == 200 and "610923100" in page.get_data(as_text=True)
    assert "610923101" not in page.get_data(as_text=True)  # the other township is not offered
    response = client.post("/reports/", data={"area": "610923100", "period": "custom", "start": START.isoformat(),
                                              "end": END.isoformat(), "fmt": "pdf"})
    assert response.status_code == 302 and "/jobs/" in response.location
    job = _wait_for_job(app, client, response.location)
    assert job.state is JobState.DONE and job.file_name.endswith(".pdf")
    shown = client.get(response.location).get_data(as_text=True)
    assert "data-state=\"done\"" in shown and f"/jobs/{job.id}/file" in shown
    pdf = client.get(f"/jobs/{job.id}/file")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "城关镇" in _pdf_text(pdf.data) and "四亩地镇" not in _pdf_text(pdf.data)
    auth.logout()
    auth.login("official_b")
    assert client.get(f"/jobs/{job.id}").status_code == 404
    assert client.get(f"/jobs/{job.id}/file").status_code == 404


def test_a_month_report_as_a_workbook(app, client, auth, reported):
    auth.login("admin")
    response = client.post("/reports/", data={"area": "610923", "period": "month", "day": TODAY.isoformat(),
                                              "fmt": "xlsx"})
    job = _wait_for_job(app, client, response.location)
    assert job.state is JobState.DONE
    data = client.get(f"/jobs/{job.id}/file").data
    summary = load_workbook(io.BytesIO(data))["概况"]
    assert summary["C2"].value.date() == TODAY.replace(day=1)


@pytest.mark.parametrize("form, message", [
    ({"area": "610923101", "period": "month", "day": "2026-01-01", "fmt": "pdf"}, "Not a valid choice"),
    ({"area": "610923100", "period": "custom", "start": "2026-02-01", "end": "", "fmt": "pdf"}, "both dates"),
    ({"area": "610923100", "period": "custom", "start": "2026-02-01", "end": "2026-01-01", "fmt": "pdf"},
     "ends before"),
    ({"area": "610923100", "period": "month", "day": "", "fmt": "pdf"}, "day in the period"),
    ({"area": "610923100", "period": "month", "day": "2026-01-01", "fmt": "doc"}, "Not a valid choice"),
])
def test_a_bad_request_is_refused_and_starts_nothing(app, client, auth, reported, form, message):
    client.post("/lang/en")
    auth.login("official_a")
    response = client.post("/reports/", data=form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_workers_and_strangers_get_no_reports(client, auth, reported):
    assert client.get("/reports/").status_code == 302
    auth.login("worker_a")
    assert client.get("/reports/").status_code == 403


def test_a_failing_job_says_so_and_keeps_no_file(app, client, auth, reported):
    def boom():
        raise RuntimeError("disk full")

    job_ids = {}
    for locale in ("zh_CN", "en"):
        with app.test_request_context():
            session["locale"] = locale  # the job speaks the language of the person who started it
            user = db.session.get(factories.User, reported.official_a.id)
            job_ids[locale] = runner.start("report", "坏的", user, boom).id
        runner.wait(job_ids[locale], 30)
    auth.login("official_a")
    page = client.get(f"/jobs/{job_ids['zh_CN']}").get_data(as_text=True)
    assert 'data-state="failed"' in page and "处理失败" in page and "disk full" not in page
    assert client.get(f"/jobs/{job_ids['zh_CN']}/file").status_code == 404
    with app.app_context():
        assert db.session.get(Job, job_ids["en"]).message.startswith("The work failed.")


def test_flask_report_writes_the_file_and_refuses_bad_arguments(app, reported, tmp_path):
    runner_cli = app.test_cli_runner()
    out = tmp_path / "county.pdf"
    result = runner_cli.invoke(args=["report", "--area", "610923", "--from", START.isoformat(), "--to",
                                     END.isoformat(), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "正在统计入户覆盖率 (0/8)" in result.output and "正在生成 PDF (7/8)" in result.output
    assert "宁陕县" in _pdf_text(out.read_bytes())
    xlsx = tmp_path / "town.xlsx"
    assert runner_cli.invoke(args=["report", "--area", "610923100", "--from", START.isoformat(), "--to",
                                   END.isoformat(), "-o", str(xlsx)]).exit_code == 0
    assert load_workbook(xlsx)["概况"]["B2"].value == "城关镇"
    for args in (["--area", "999999"], ["--area", "610923100001"], ["-o", str(tmp_path / "x.doc")],
                 ["--from", "2026-02-01", "--to", "2026-01-01"]):
        base = {"--area": "610923", "--from": START.isoformat(), "--to": END.isoformat(), "-o": str(tmp_path / "y.pdf")}
        base.update(dict(zip(args[::2], args[1::2], strict=True)))
        result = runner_cli.invoke(args=["report", *[x for pair in base.items() for x in pair]])
        assert result.exit_code != 0 and not (tmp_path / "y.pdf").exists(), args


def test_the_title_carries_the_area_and_period_whatever_the_name_holds(ctx, reported):
    town = db.session.scalar(sa.select(Area).where(Area.code == "610923100"))
    town.name = '城关"镇<b>'
    db.session.flush()
    made = make_report(town, START, END, "pdf")
    first = re.sub(r"\s+", "", PdfReader(io.BytesIO(made.data)).pages[0].extract_text())
    assert '城关"镇<b>' in first and "打击治理电信网络诈骗工作通报" in first
    assert f"{START.year}年{START.month}月{START.day}日至" in first


def test_jobs_and_their_files_are_dropped_after_a_week(app, client, auth, reported):
    with app.app_context():
        stale = Job(id="old", kind="report", title="旧", user_id=reported.official_a.id, state=JobState.DONE,
                    file_data=b"%PDF", created_at=utcnow() - runner.KEPT_FOR - timedelta(minutes=1))
        recent = Job(id="recent", kind="report", title="近", user_id=reported.official_b.id, state=JobState.DONE,
                     created_at=utcnow() - runner.KEPT_FOR + timedelta(hours=1))
        db.session.add_all([stale, recent])
        db.session.commit()
    auth.login("official_a")
    response = client.post("/reports/", data={"area": "610923100", "period": "day", "day": TODAY.isoformat(),
                                              "fmt": "xlsx"})
    _wait_for_job(app, client, response.location)
    with app.app_context():
        assert db.session.get(Job, "old") is None and db.session.get(Job, "recent") is not None
