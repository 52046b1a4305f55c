"""XLSX exports: the writer (formats, frozen headers, sheets past Excel's row limit), every table page's
export against the page, the user's area, and round-trips through the imports."""
from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from campaign.accounts.models import User
from campaign.areas.models import Area
from campaign.areas.scope import within
from campaign.core import exports
from campaign.core.clock import local_today
from campaign.core.exports import ExportColumn, Sheet, write_xlsx, xlsx_response
from campaign.coverage import services as coverage
from campaign.creation import services as creation
from campaign.creation.importer import import_targets
from campaign.creation.models import CreationTarget, TargetKind
from campaign.events.models import EventKind, EventPhoto, PublicityEvent
from campaign.extensions import db
from campaign.incidents import services as incidents
from campaign.incidents.importer import import_incidents
from campaign.incidents.models import FraudType, Incident, IncidentKind
from campaign.visits.services import record_visits
from campaign.warnings import services as warnings
from campaign.warnings.importer import import_warnings
from campaign.warnings.models import FraudWarning, Level

from . import factories, visiting

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(data: bytes):
    return load_workbook(io.BytesIO(data))


def table(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def download(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == XLSX
    return workbook(response.data)


def by_header(sheet) -> list[dict]:
    rows = table(sheet)
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


# --- the writer ---------------------------------------------------------------------------------

COLUMNS = [ExportColumn("名称"), ExportColumn("户数", "int"), ExportColumn("损失金额(元)", "money"),
           ExportColumn("覆盖率", "percent"), ExportColumn("平均", "decimal"), ExportColumn("日期", "date"),
           ExportColumn("时间", "datetime")]


def written(sheets) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(sheets, buffer)
    return buffer.getvalue()


def test_headers_are_bold_frozen_filtered_and_numbers_formatted(ctx):
    moment = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)  # 09:30 in 宁陕
    data = written([Sheet("覆盖率", COLUMNS, [["城南社区", 1234, Decimal("12000.50"), 0.955, 1.5, date(2026, 3, 1),
                                               moment]])])
    sheet = workbook(data).active
    assert sheet.title == "覆盖率" and sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == ["名称", "户数", "损失金额(元)", "覆盖率", "平均", "日期", "时间"]
    assert all(c.font.b and c.fill.fgColor.rgb == "FFDDEBF7" for c in sheet[1])
    assert sheet.auto_filter.ref == "A1:G2"
    values = [c.value for c in sheet[2]]
    assert values == ["城南社区", 1234, 12000.5, 0.955, 1.5, datetime(2026, 3, 1), datetime(2026, 3, 1, 9, 30)]
    assert [c.number_format for c in sheet[2]] == ["@", "#,##0", "#,##0.00", "0.00%", "0.00", "yyyy-mm-dd",
                                                   "yyyy-mm-dd hh:mm"]
    widths = {letter: dim.width for letter, dim in sheet.column_dimensions.items()}
    assert widths["C"] >= 14 and widths["G"] >= 17


def test_empty_cells_odd_text_and_titles(ctx):
    rows = [[None] * 7, ["a & <b>\x01\x1f end ", "—", None, float("nan"), None, "unknown", None],
            ["x" * 40_000, None, None, None, None, None, None]]
    book = workbook(written([Sheet("走访[1]/测试:" + "很长" * 20, COLUMNS, rows),
                             Sheet("走访[1]/测试:" + "很长" * 20, COLUMNS, [])]))
    first, second = book.worksheets
    assert len(first.title) == 31 and not re.search(r"[\[\]:*?/\\]", first.title)
    assert second.title.endswith(" (2)") and len(second.title) <= 31
    assert table(first)[1] == [None] * 7
    assert table(first)[2][:4] == ["a & <b> end ", "—", None, None]
    assert len(table(first)[3][0]) == exports.MAX_TEXT
    assert table(second) == [[c.header for c in COLUMNS]]


def test_a_sheet_past_excels_row_limit_continues_with_the_header_repeated(ctx, monkeypatch):
    monkeypatch.setattr(exports, "MAX_ROWS", 4)  # three data rows a sheet
    columns = [ExportColumn("序号", "int")]
    buffer = io.BytesIO()
    count = write_xlsx([Sheet("走访", columns, ([n] for n in range(1, 8))), Sheet("其他", columns, [[1]])], buffer)
    book = workbook(buffer.getvalue())
    assert count == 8
    assert book.sheetnames == ["走访", "走访 (2)", "走访 (3)", "其他"]
    assert [table(s) for s in book.worksheets[:3]] == [[["序号"], [1], [2], [3]], [["序号"], [4], [5], [6]],
                                                      [["序号"], [7]]]
    assert all(s.freeze_panes == "A2" for s in book.worksheets)
    exact = workbook(written([Sheet("走访", columns, ([n] for n in range(6)))]))
    assert exact.sheetnames == ["走访", "走访 (2)"]  # no empty third sheet


def test_rows_are_consumed_once_as_they_come(ctx, tmp_path):
    seen = []

    def rows():
        for n in range(3):
            seen.append(n)
            yield [str(n)]

    path = tmp_path / "out.xlsx"
    assert write_xlsx([Sheet("表", [ExportColumn("列")], rows())], path) == 3
    assert seen == [0, 1, 2] and table(workbook(path.read_bytes()).active)[1:] == [["0"], ["1"], ["2"]]


def test_a_row_of_the_wrong_length_is_a_bug(ctx):
    with pytest.raises(ValueError):
        written([Sheet("表", COLUMNS, [["only one"]])])


def test_the_download_has_a_chinese_file_name_and_leaves_no_file(app, monkeypatch):
    files = []
    real = exports.tempfile.TemporaryFile

    def spy(*args, **kwargs):
        files.append(real(*args, **kwargs))
        return files[-1]

    monkeypatch.setattr(exports.tempfile, "TemporaryFile", spy)
    with app.test_request_context():
        response = xlsx_response("走访记录/城关镇.xlsx", [Sheet("走访", COLUMNS, [])])
        body = b"".join(response.response)
        response.close()
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert "%E8%B5%B0%E8%AE%BF%E8%AE%B0%E5%BD%95_%E5%9F%8E%E5%85%B3%E9%95%87.xlsx" in disposition
    assert response.content_length == len(body) and "no-store" in response.headers["Cache-Control"]
    assert workbook(body).active.title == "走访"
    assert files and all(f.closed for f in files)


# --- coverage -----------------------------------------------------------------------------------

@pytest.fixture
def visited(app):
    """A round with visits in both townships: two households of grid A1 reached (one from far away), one
    not at home, and one household of township B reached."""
    with app.app_context():
        c = factories.small_county()
        round_ = factories.RoundFactory(area=c.root)
        a = c.households_a
        record_visits(worker=c.worker_a, items=[
            visiting.visit(a[0], round_.id, minutes=0, installs=1),
            visiting.visit(a[1], round_.id, minutes=60, gps=(33.35, 108.3)),
            visiting.visit(a[2], round_.id, outcome="not_home", minutes=110)])
        record_visits(worker=c.worker_b, items=[visiting.visit(c.households_b[0], round_.id, minutes=5)])
        db.session.commit()
        return {"round": round_.id}


def page_rows(html: str) -> list[tuple[str, str]]:
    """(name, coverage) of each row of a ranking table, in the page's order."""
    return re.findall(r'<tr class="[^"]*">\s*<td>\d+</td>\s*<td>(?:<a [^>]*>)?([^<]+?)(?:</a>)?(?:\s*<span[^>]*>[^<]*'
                      r'</span>)?</td>.*?<span class="fw-bold text-nowrap">([^<]+)</span>', html, re.S)


def test_coverage_export_has_the_pages_rows_and_figures(app, client, auth, visited):
    auth.login("admin")
    html = client.get("/coverage/610923").get_data(as_text=True)
    sheet = download(client, f"/coverage/610923/export.xlsx?round={visited['round']}").active
    rows = by_header(sheet)
    assert sheet.freeze_panes == "A2" and list(rows[0])[:4] == ["排名", "区划代码", "名称", "在册户数"]
    assert [(r["名称"], f"{r['覆盖率'] * 100:.1f}%") for r in rows] == page_rows(html)
    assert [r["排名"] for r in rows] == [1, 2]
    with app.app_context():
        root = db.session.scalar(sa.select(Area).where(Area.code == "610923"))
        figures = {a.code: f for a, f in coverage.child_figures(visited["round"], root)}
    town_a, f = next(r for r in rows if r["区划代码"] == "610923100"), figures["610923100"]
    assert (town_a["在册户数"], town_a["应走访户数"], town_a["已入户"], town_a["不在家"], town_a["未走访"]) == (
        4, 4, 2, 1, 1)
    assert (town_a["走访次数"], town_a["存疑走访"], town_a["宣传人数"], town_a["安装反诈APP"]) == (
        f.visits, f.flagged, f.people_briefed, f.app_installs)
    assert town_a["覆盖率"] == pytest.approx(f.coverage) and town_a["存疑比例"] == pytest.approx(f.flagged_share)
    assert sheet["K2"].number_format == "0.00%" and sheet["E2"].number_format == "#,##0"


def test_rankings_export_with_their_rank(client, auth, visited):
    auth.login("admin")
    html = client.get("/coverage/610923/villages").get_data(as_text=True)
    villages = by_header(download(client, "/coverage/610923/villages/export.xlsx").active)
    assert [(r["名称"], f"{r['覆盖率'] * 100:.1f}%") for r in villages] == page_rows(html)
    assert [r["排名"] for r in villages] == [1, 2]
    workers = by_header(download(client, "/coverage/610923/workers/export.xlsx").active)
    assert {(r["用户名"], r["本人入户"], r["走访次数"]) for r in workers} == {("worker_a", 2, 3), ("worker_b", 1, 1)}


def test_grid_export_lists_its_households_masked(client, auth, visited):
    auth.login("worker_a")
    rows = by_header(download(client, "/coverage/610923100001001/export.xlsx").active)
    assert len(rows) == 3 and {r["户主"] for r in rows} == {"张**"}
    assert sorted(r["状态"] for r in rows) == sorted(["已入户宣传", "已入户宣传", "不在家"])


def test_visits_export_is_every_visit_of_the_page_with_names_masked(client, auth, visited):
    auth.login("official_a")
    page = client.get("/coverage/610923100/visits").get_data(as_text=True)
    assert "3</span></h1>" in page
    sheet = download(client, f"/coverage/610923100/visits/export.xlsx?round={visited['round']}").active
    rows = by_header(sheet)
    assert len(rows) == 3
    assert [r["走访时间"] for r in rows] == sorted((r["走访时间"] for r in rows), reverse=True)
    assert {r["村(社区)"] for r in rows} == {"城南社区"} and {r["户主"] for r in rows} == {"张**"}
    assert {r["走访结果"] for r in rows} == {"已入户宣传", "不在家"}
    assert sheet["A2"].number_format == "yyyy-mm-dd hh:mm"
    first = rows[-1]  # the oldest: visiting.BASE, in 宁陕's time
    assert first["走访时间"] == visiting.BASE.astimezone(exports.zone()).replace(tzinfo=None)
    assert first["安装反诈APP"] == 1 and first["网格员"] == "worker_a"
    text = " ".join(str(v) for row in table(sheet) for v in row)
    assert "13812345678" not in text and "张伟" not in text and "四亩地" not in text
    flagged = by_header(download(client, "/coverage/610923100/visits/export.xlsx?flagged=1").active)
    assert len(flagged) == 1 and flagged[0]["距门(米)"] > 300 and flagged[0]["定位"] == "超过 300 米"


# --- scope --------------------------------------------------------------------------------------

@pytest.fixture
def records(app):
    """Incidents, warnings, events and targets in both townships."""
    with app.app_context():
        c = factories.small_county()
        today = local_today() - timedelta(days=3)
        for village, user, loss in ((c.village_a, c.official_a, "12000.5"), (c.village_b, c.official_b, "800")):
            incidents.create_incident(village=village, user=user, fields=incidents.check_fields(
                occurred_on=today, fraud_type="刷单返利", loss=loss, recovered="100", case_ref=f"A{village.code}",
                description="先小额返利后诱导大额转账", kind=IncidentKind.CASE))
        incidents.create_incident(village=c.village_a, user=c.official_a, fields=incidents.check_fields(
            occurred_on=today - timedelta(days=40), fraud_type=FraudType.ROMANCE, loss=0, recovered=0, case_ref="",
            description="", kind=IncidentKind.DEN))
        received = datetime.combine(today, time(1, 30), tzinfo=UTC)
        warnings.create_warning(area=c.grid_a1, resident="王某某", level=Level.HIGH, received_at=received,
                                source="市反诈中心", phone="13800138000", user=c.official_a)
        warnings.create_warning(area=c.village_a, resident="李某", level=Level.LOW, user=c.official_a,
                                received_at=received + timedelta(hours=3))
        warnings.create_warning(area=c.village_b, resident="赵某", level=Level.MEDIUM, received_at=received,
                                user=c.official_b)
        db.session.add_all([PublicityEvent(kind=EventKind.COURTYARD, held_on=today, area=c.grid_a1, attendees=30,
                                           materials=40, target="城南院坝",
                                           photos=[EventPhoto(content=b"\xff\xd8", width=1, height=1)]),
                            PublicityEvent(kind=EventKind.SCHOOL, held_on=today, area=c.village_b, attendees=300)])
        for area, kind, name, phone, headcount in (
                (c.village_a, TargetKind.COMMUNITY, "", "", 0),
                (c.town_a, TargetKind.SCHOOL, "城关小学", "13800000000", 860),
                (c.village_a, TargetKind.ENTERPRISE, "安康某公司", "0915-1234567", 80),
                (c.town_b, TargetKind.ORGANISATION, "四亩地镇政府", "", 40)):
            creation.create_target(area=area, user=c.admin, fields=creation.check_fields(
                kind=kind, name=name, area=area, contact_name="王老师" if phone else "", contact_phone=phone,
                headcount=headcount))
        db.session.commit()
        return {"town_a": c.town_a.id}


EXPORTS = ["/incidents/export.xlsx", "/warnings/export.xlsx?show=all", "/events/export.xlsx",
           "/creation/export.xlsx"]


@pytest.mark.parametrize("url", EXPORTS)
def test_an_official_exports_only_their_township(client, auth, records, url):
    auth.login("official_a")
    rows = table(download(client, url).active)
    text = " ".join(str(v) for row in rows for v in row)
    assert len(rows) > 1 and "610923101" not in text and "四亩地" not in text


@pytest.mark.parametrize("url", ["/incidents/export.xlsx?area=610923100", "/events/export.xlsx?area=610923100",
                                 "/creation/export.xlsx?area=610923100", "/coverage/610923100/export.xlsx",
                                 "/coverage/610923100/visits/export.xlsx"])
def test_another_townships_export_is_not_found_and_anonymous_must_log_in(client, auth, records, url):
    if url.startswith("/coverage"):
        with client.application.app_context():
            factories.RoundFactory(area=db.session.scalar(sa.select(Area).where(Area.code == "610923")))
            db.session.commit()
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    auth.login("official_b")
    assert client.get(url).status_code == 404


def test_a_worker_exports_only_the_warnings_given_to_them(app, client, auth, records):
    auth.login("worker_a")
    assert len(table(download(client, "/warnings/export.xlsx?show=all").active)) == 1
    assert client.get("/incidents/export.xlsx").status_code == 403


def test_the_county_exports_its_whole_area(client, auth, records):
    auth.login("admin")
    assert len(by_header(download(client, "/incidents/export.xlsx").active)) == 3
    assert len(by_header(download(client, "/creation/export.xlsx").active)) == 4


def test_pages_link_to_their_export_with_their_filters(client, auth, records):
    auth.login("official_a")
    assert "/warnings/export.xlsx?show=closed" in client.get("/warnings/?show=closed").get_data(as_text=True)
    page = client.get("/creation/?area=610923100&kind=school").get_data(as_text=True)
    assert "/creation/export.xlsx?area=610923100&amp;kind=school" in page
    assert "/incidents/export.xlsx?area=610923100" in client.get("/incidents/").get_data(as_text=True)
    assert "/events/export.xlsx" in client.get("/events/").get_data(as_text=True)


# --- what each export holds, and round-trips through the imports --------------------------------

def export_bytes(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200
    return response.data


def user_named(name: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == name))


def test_incident_export_has_the_import_headers_and_formats(client, auth, records):
    auth.login("official_a")
    sheet = workbook(export_bytes(client, "/incidents/export.xlsx")).active
    assert [c.value for c in sheet[1]][:8] == ["村(社区)代码", "类别", "发案日期", "诈骗类型", "损失金额(元)",
                                               "挽回或止付金额(元)", "案件编号", "简要案情"]
    assert sheet["C2"].number_format == "yyyy-mm-dd" and sheet["E2"].number_format == "#,##0.00"
    assert {(r["类别"], r["诈骗类型"]) for r in by_header(sheet)} == {("案件", "刷单返利"), ("窝点", "网络婚恋交友")}


def test_warning_export_has_the_import_headers_and_how_each_was_handled(client, auth, records):
    auth.login("official_a")
    sheet = workbook(export_bytes(client, "/warnings/export.xlsx?show=all")).active
    assert [c.value for c in sheet[1]][:6] == ["村(社区)或网格代码", "居民", "电话", "预警等级", "接收时间", "来源"]
    assert sheet["E2"].number_format == "yyyy-mm-dd hh:mm" and sheet["I2"].number_format == "yyyy-mm-dd hh:mm"
    rows = by_header(sheet)
    assert {r["预警等级"] for r in rows} == {"高", "低"} and all(r["状态"] for r in rows)


def test_target_export_has_the_import_headers_and_kinds(client, auth, records):
    auth.login("official_a")
    sheet = workbook(export_bytes(client, "/creation/export.xlsx")).active
    assert [c.value for c in sheet[1]][:6] == ["类型", "名称", "所在区划代码", "联系人", "联系电话", "人数"]
    assert {r["类型"] for r in by_header(sheet)} == {"村(社区)", "学校", "企业"}
    assert sheet["F2"].number_format == "#,##0"


ROUND_TRIPS = {
    "incidents": ("/incidents/export.xlsx", Incident, Incident.village_id, import_incidents,
                  ("village_id", "kind", "occurred_on", "fraud_type", "loss", "recovered", "case_ref", "description")),
    "warnings": ("/warnings/export.xlsx?show=all", FraudWarning, FraudWarning.area_id, import_warnings,
                 ("area_id", "resident", "phone", "level", "received_at", "source", "deadline_at")),
    "targets": ("/creation/export.xlsx", CreationTarget, CreationTarget.area_id, import_targets,
                ("kind", "name", "area_id", "contact_name", "contact_phone", "headcount")),
}


@pytest.mark.parametrize("kind", ROUND_TRIPS)
def test_an_export_imports_again_field_by_field(app, client, auth, records, kind):
    """Exported, deleted, imported: the same records (those the import would refuse as duplicates are gone)."""
    url, model, area_id, importer, fields = ROUND_TRIPS[kind]
    auth.login("official_a")
    data = export_bytes(client, url)
    township = sa.select(Area.id).where(within(Area.code, "610923100"))

    def stored():
        return sorted(tuple(getattr(r, f) for f in fields) for r in db.session.scalars(
            sa.select(model).where(area_id.in_(township))))

    with app.app_context():
        before = stored()
        assert len(before) >= 2
        db.session.execute(sa.delete(model).where(area_id.in_(township)))
        user = user_named("official_a")
        report = importer(data, scope_codes=user.scope_codes(), user=user)
        assert report.ok and report.rows == len(before), report.errors
        db.session.commit()
        assert stored() == before


def test_importing_an_export_again_finds_every_target_unchanged(app, client, auth, records):
    auth.login("official_a")
    data = export_bytes(client, "/creation/export.xlsx")
    with app.app_context():
        user = user_named("official_a")
        report = import_targets(data, scope_codes=user.scope_codes(), user=user)
        assert report.ok and (report.new, report.changes, report.unchanged) == (0, [], 3)


def test_events_export_holds_what_the_list_shows(client, auth, records):
    auth.login("official_a")
    sheet = download(client, "/events/export.xlsx?area=610923100").active
    rows = by_header(sheet)
    assert len(rows) == 1
    row = rows[0]
    assert (row["活动类型"], row["地点"], row["学校或单位"], row["参加人数"], row["发放资料"], row["照片"]) == (
        "院落会", "城南社区第1网格", "城南院坝", 30, 40, 1)
    assert sheet["A2"].number_format == "yyyy-mm-dd"
