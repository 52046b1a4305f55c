"""Spreadsheets as township offices make them are read, or refused with a reason that names the cell."""
import io
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from campaign.core.errors import DomainError
from campaign.core.inputs import parse_date
from campaign.core.tabular import FileFormatError, accepted_names, read_sheet, read_table, template_xlsx
from campaign.extensions import db
from campaign.households.importer import COLUMNS as HOUSEHOLD_COLUMNS
from campaign.households.importer import import_households
from campaign.households.models import Household
from campaign.incidents.importer import COLUMNS as INCIDENT_COLUMNS
from campaign.incidents.importer import import_incidents
from campaign.incidents.models import FraudType, Incident

from . import factories
from .office_files import csv_file, html_xls, with_builtin_format, workbook

GRID = "610923100001002"
VILLAGE = "610923100001"
HEADER = ["网格编码（必填）", "门牌号", "户主", "手机号码", "家庭人口数", "是否独居老人", "是否重点关注人员",
          "纬度(°)", "经度(°)"]


def written(report):
    assert report.ok, [(e.sheet, e.line, e.column, e.reason) for e in report.errors]
    if getattr(report, "apply", None) and not report.written:
        report.apply()
    return report


def household(door: str) -> Household:
    return db.session.scalar(sa.select(Household).where(Household.door_label == door))


def test_a_merged_title_and_a_unit_row_above_the_header_are_skipped(ctx):
    factories.small_county()

    def merge_title(book):
        book.active.merge_cells("A1:I1")
    data = workbook(("花名册", [["城南社区住户花名册"], ["填报单位：城南社区", None, None, "填报日期：2026年3月1日"],
                               HEADER, [GRID, "9组1号", "李四", "138-0013-8000", 4, "是", "否", 33.3, 108.3]]),
                    setup=merge_title)
    written(import_households(data))
    row = household("9组1号")
    assert (row.head_name, row.phone, row.members, row.elderly_alone, row.at_risk, row.lat, row.lon) == (
        "李四", "13800138000", 4, True, False, 33.3, 108.3)


def test_an_instructions_sheet_first_is_named_and_the_roster_after_it_is_read(ctx):
    data = workbook(("说明", [["请按下表填写"], ["网格编码为15位"]]),
                    ("住户", [HEADER[:2], [GRID, "1号"], [GRID, "2号"]]))
    table = read_sheet(data, HOUSEHOLD_COLUMNS)
    assert [(row.sheet, row.line, row.values["door_label"]) for row in table.rows] == [("住户", 2, "1号"),
                                                                                      ("住户", 3, "2号")]
    assert table.notes.sheets == ["住户"] and table.notes.other_sheets == ["说明"]


def test_every_sheet_with_the_header_is_imported_and_errors_name_sheet_and_line(ctx):
    factories.small_county()
    data = workbook(("一组", [HEADER[:2], [GRID, "1组1号"]]),
                    ("二组", [HEADER[:2], [GRID, "2组1号"], ["999", "2组2号"]]), ("统计", [["合计", 3]]),
                    ("Sheet3", []))  # the blank sheet Excel adds is not named
    table = read_sheet(data, HOUSEHOLD_COLUMNS)
    assert table.notes.sheets == ["一组", "二组"] and table.notes.other_sheets == ["统计"]
    report = import_households(data)
    assert [(e.sheet, e.line) for e in report.errors] == [("二组", 3)]
    assert household("1组1号") is None


def test_a_column_no_field_takes_is_listed_not_dropped_silently(ctx):
    data = workbook(("S", [["序号", "网格编码", "门牌号", "备注"], [1, GRID, "1号", "新迁入", "无标题的值"]]))
    ignored = read_sheet(data, HOUSEHOLD_COLUMNS).notes.ignored_columns
    assert ignored[:2] == ["序号", "备注"] and len(ignored) == 3 and "E" in ignored[2]


def test_hidden_rows_are_reported_and_imported_only_when_confirmed(ctx):
    def hide(book):
        book.active.row_dimensions[3].hidden = True
    data = workbook(("S", [HEADER[:2], [GRID, "1号"], [GRID, "2号"], [GRID, "3号"]]), setup=hide)
    table = read_sheet(data, HOUSEHOLD_COLUMNS)
    assert [row.values["door_label"] for row in table.rows] == ["1号", "3号"] and table.notes.hidden_lines == [3]
    assert [row.values["door_label"] for row in read_sheet(data, HOUSEHOLD_COLUMNS, include_hidden=True).rows] == [
        "1号", "2号", "3号"]


def test_one_grid_code_merged_down_five_rows_fills_them(ctx):
    factories.small_county()

    def merge(book):
        book.active.merge_cells("A2:A6")
    rows = [HEADER[:3], [GRID, "1号", "甲"]] + [[None, f"{n}号", "乙"] for n in range(2, 6)]
    written(import_households(workbook(("S", rows), setup=merge)))
    grids = db.session.scalars(sa.select(Household.grid_id).where(Household.head_name.in_(["甲", "乙"]))).all()
    assert len(grids) == 5 and len(set(grids)) == 1


def test_a_formula_without_a_cached_value_is_refused_naming_its_cell(ctx):
    data = workbook(("S", [["网格编码", "门牌号", "户主", "家庭人口"], [GRID, "1号", "甲", 2],
                           [GRID, "2号", "乙", "=D2+1"]]))
    with pytest.raises(FileFormatError) as refused:
        read_table(data, HOUSEHOLD_COLUMNS)
    assert "D3" in str(refused.value.message)


def test_coordinates_0_0_are_refused_as_no_location(ctx):
    factories.small_county()
    report = import_households(workbook(("S", [HEADER, [GRID, "1号", "甲", "", 1, "否", "否", 0, 0]])))
    assert not report.ok and report.errors[0].column == "纬度" and household("1号") is None


@pytest.mark.parametrize("typed, stored", [
    ("138 0013 8000", "13800138000"), ("+86 138-0013-8000", "13800138000"), ("008613800138000", "13800138000"),
    ("010-12345678", "010-12345678"), ("0915 1234567", "0915-1234567"), ("（0915）1234567", "0915-1234567"),
    ("09151234567", "0915-1234567"),
])
def test_phones_as_people_write_them_are_stored_in_one_form(ctx, typed, stored):
    factories.small_county()
    written(import_households(csv_file([HEADER[:4], [GRID, "1号", "甲", typed]])))
    assert household("1号").phone == stored


def test_a_gbk_csv_with_synonym_headers_is_read(ctx):
    factories.small_county()
    data = csv_file([["网格编号", "地址", "姓名", "联系电话", "人口"], [GRID, "城南1号", "王五", "13900001111", 3]],
                    encoding="gbk")
    written(import_households(data))
    assert (household("城南1号").head_name, household("城南1号").members) == ("王五", 3)


@pytest.mark.parametrize("charset", ["utf-8", "gbk"])
def test_a_web_page_saved_as_xls_is_read_as_its_table(ctx, charset):
    factories.small_county()
    written(import_households(html_xls([["网格编码", "门牌号", "户主姓名"], [GRID, "网页1号", "赵六"]],
                                       charset=charset)))
    assert household("网页1号").head_name == "赵六"


def test_a_web_page_saved_as_xls_without_a_table_is_refused_naming_it(ctx):
    with pytest.raises(FileFormatError) as refused:
        read_table(b"<html><body><p>no data</p></body></html>", HOUSEHOLD_COLUMNS)
    assert "HTML" in str(refused.value.message)


def test_the_templates_example_row_is_never_imported_but_a_real_first_row_is(ctx):
    template = template_xlsx(HOUSEHOLD_COLUMNS, "住户")
    book = load_workbook(io.BytesIO(template))
    assert book.sheetnames == ["住户", "填写说明"]
    sheet = book["住户"]
    sheet.append([GRID, "真实1号"])
    buffer = io.BytesIO()
    book.save(buffer)
    table = read_sheet(buffer.getvalue(), HOUSEHOLD_COLUMNS)
    assert [row.values["door_label"] for row in table.rows] == ["真实1号"] and table.notes.example_lines == [2]
    assert table.notes.other_sheets == []
    sheet.delete_rows(2)  # the user typed over the example: the first row is theirs
    book.save(buffer := io.BytesIO())
    assert [row.values["door_label"] for row in read_table(buffer.getvalue(), HOUSEHOLD_COLUMNS)] == ["真实1号"]


def test_the_glossary_lists_accepted_names_on_the_template_and_for_the_page(ctx):
    glossary = dict(accepted_names(HOUSEHOLD_COLUMNS))
    assert {"手机号码", "电话"} <= set(glossary["联系电话"]) and "是否独居老人" in glossary["独居老人"]
    book = load_workbook(io.BytesIO(template_xlsx(HOUSEHOLD_COLUMNS, "住户")))
    assert any("手机号码" in str(row[1]) for row in book["填写说明"].iter_rows(values_only=True))


@pytest.mark.parametrize("text, day", [
    ("2026/6/1", date(2026, 6, 1)), ("2026-3-13", date(2026, 3, 13)), ("2026.3.12", date(2026, 3, 12)),
    ("2026年3月10日", date(2026, 3, 10)), ("２０２６年３月１０日", date(2026, 3, 10)),
    ("2026-03-10 14:30", date(2026, 3, 10)), ("2026-03-10T14:30:00", date(2026, 3, 10)),
])
def test_dates_as_offices_write_them(text, day):
    assert parse_date(text) == day


@pytest.mark.parametrize("text", ["2026-03-19abc", "2026-02-30", "1899-12-31", "19/03/2026", "46100",
                                  "2026-03-19 25:00", "2026-03-19 abc"])
def test_dates_with_junk_or_out_of_range_are_refused(text):
    with pytest.raises(DomainError):
        parse_date(text)


INCIDENT_HEADER = ["村（社区）代码", "发案日期", "诈骗类型", "损失金额（元）", "案件编号"]


@pytest.mark.parametrize("number_format, builtin_id", [
    ("mm-dd-yy", 14), ('yyyy"年"m"月"d"日"', 31), ('yyyy"年"m"月"d"日"', 57), ("yyyy年m月d日", None)])
def test_excel_date_serials_in_chinese_date_formats_are_dates(ctx, number_format, builtin_id):
    factories.small_county()

    def dated(book):
        book.active["B2"].number_format = number_format
    data = workbook(("案件", [INCIDENT_HEADER, [VILLAGE, 46082, "刷单返利类", 100, "A1"]]), setup=dated)
    if builtin_id:
        data = with_builtin_format(data, number_format, builtin_id)
    written(import_incidents(data))
    assert db.session.scalar(sa.select(Incident.occurred_on).where(Incident.case_ref == "A1")) == date(2026, 3, 1)


@pytest.mark.parametrize("name, kind", [
    ("刷单返利类", FraudType.BRUSHING), ("冒充公检法及政府机关类", FraudType.AUTHORITIES),
    ("网络婚恋交友类（杀猪盘）", FraudType.ROMANCE), ("虚假网络投资理财类", FraudType.INVESTMENT),
    ("虚假网络贷款类", FraudType.LOAN), ("冒充电商物流客服类", FraudType.CUSTOMER_SERVICE),
    ("虚假征信类", FraudType.CREDIT), ("冒充领导熟人类", FraudType.ACQUAINTANCE),
    ("网络游戏产品虚假交易类", FraudType.GAME_TRADE), ("虚假购物服务类", FraudType.SHOPPING),
    ("其他类型诈骗", FraudType.OTHER), ("刷单返利", FraudType.BRUSHING),
])
def test_fraud_types_by_the_ministrys_full_names_and_short_ones(ctx, name, kind):
    factories.small_county()
    written(import_incidents(csv_file([INCIDENT_HEADER, [VILLAGE, "2026年3月10日", name, "", "R1"]])))
    assert db.session.scalar(sa.select(Incident.fraud_type).where(Incident.case_ref == "R1")) == kind


@pytest.mark.parametrize("cell, stored", [(2.675, "2.68"), (2.665, "2.67"), (1.005, "1.01"), ("0.125", "0.13")])
def test_money_rounds_half_up_to_the_fen(ctx, cell, stored):
    factories.small_county()
    written(import_incidents(workbook(("S", [INCIDENT_HEADER, [VILLAGE, "2026-03-01", "刷单返利", cell, "M1"]]))))
    assert db.session.scalar(sa.select(Incident.loss).where(Incident.case_ref == "M1")) == Decimal(stored)


def test_a_date_with_trailing_junk_is_refused_not_trimmed(ctx):
    factories.small_county()
    report = import_incidents(csv_file([INCIDENT_HEADER, [VILLAGE, "2026-03-19abc", "刷单返利", "", "J1"]]))
    assert not report.ok and report.errors[0].column == "发案日期"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0


def test_a_header_in_ten_thousand_yuan_is_not_taken_for_yuan(ctx):
    data = csv_file([["村代码", "发案日期", "诈骗类型", "损失金额（万元）"],
                     [VILLAGE, "2026-03-01", "刷单返利", "1.2"]])
    table = read_sheet(data, INCIDENT_COLUMNS)
    assert "loss" not in table.rows[0].values or table.rows[0].values["loss"] == ""
    assert table.notes.ignored_columns == ["损失金额（万元）"]


def test_merged_ranges_built_to_overlap_are_refused_quickly(ctx):
    rows = [["网格编码", "门牌号"]] + [[GRID if n == 2 else None, f"{n}号"] for n in range(2, 202)]
    merges = "".join(f'<mergeCell ref="A2:A{100_000 + n}"/>' for n in range(20_000))

    def overlap(book):
        book.active.merge_cells("A2:A201")
    data = workbook(("S", rows), setup=overlap)
    data = _with_sheet_xml(data, lambda xml: xml.replace('<mergeCell ref="A2:A201" />', merges)
                           .replace('mergeCells count="1"', 'mergeCells count="20000"'))
    with pytest.raises(FileFormatError):
        read_table(data, HOUSEHOLD_COLUMNS)


def test_a_hidden_sheet_is_not_imported_but_named(ctx):
    def hide(book):
        book["旧数据"].sheet_state = "hidden"
    data = workbook(("住户", [HEADER[:2], [GRID, "1号"]]), ("旧数据", [HEADER[:2], [GRID, "2号"]]), setup=hide)
    table = read_sheet(data, HOUSEHOLD_COLUMNS)
    assert [row.values["door_label"] for row in table.rows] == ["1号"] and table.notes.other_sheets == ["旧数据"]


def _with_sheet_xml(data: bytes, change) -> bytes:
    import zipfile
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = change(content.decode()).encode()
            target.writestr(item, content)
    return buffer.getvalue()


@pytest.mark.parametrize("path, header, synonym", [
    ("/households/import", "联系电话", "手机号码"),
    ("/incidents/import", "案件编号", "警情编号"),
    ("/warnings/import", "电话", "手机"),
    ("/creation/import", "名称", "单位名称"),
])
def test_the_import_page_lists_the_column_names_it_recognises(client, auth, county, path, header, synonym):
    auth.login("admin")
    page = client.get(path).get_data(as_text=True)
    assert "可识别的列名" in page
    assert f'<th scope="row" class="fw-normal">{header}</th>' in page and synonym in page
