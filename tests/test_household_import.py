"""Roster import: all or nothing, every bad row listed with its line and reason."""
import io

import pytest
import sqlalchemy as sa
from flask_babel import gettext
from openpyxl import load_workbook

from campaign.core.tabular import FileFormatError
from campaign.extensions import db
from campaign.households.importer import import_households
from campaign.households.models import Household

from . import factories, importing
from .sheets import xlsx

HEADER = "网格编码,门牌/地址,户主姓名,联系电话,家庭人口,独居老人,重点关注,纬度,经度\n"


def household_total():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Household))


def test_good_csv_imports_every_row(ctx):
    factories.small_county()
    data = (HEADER + "610923100001002,5组1号,赵六,13700001111,3,否,是,33.3,108.3\n"
                     "610923100001002,5组2号,,,1,是,,,\n").encode()
    report = import_households(data)
    assert report.ok and report.rows == 2
    assert household_total() == 8
    added = db.session.scalar(sa.select(Household).where(Household.door_label == "5组2号"))
    assert added.elderly_alone and added.members == 1 and added.phone is None


def test_counts_follow_an_import(ctx):
    c = factories.small_county()
    import_households((HEADER + "610923100001002,5组1号,,,2,,,,\n").encode())
    db.session.refresh(c.town_a)
    assert c.town_a.household_count == 5


def test_good_xlsx_with_numeric_cells_imports(ctx):
    factories.small_county()
    data = xlsx([["网格编码", "门牌/地址", "户主姓名", "联系电话", "家庭人口"],
                 [610923100001002, "7组1号", "钱七", 13800001234, 3]])
    report = import_households(data)
    assert report.ok, report.errors
    assert db.session.scalar(sa.select(Household.phone).where(Household.door_label == "7组1号")) == "13800001234"


def test_full_width_digits_and_stray_spaces_are_normalised(ctx):
    factories.small_county()
    data = (HEADER + "６１０９２３１００００１００２ , ８组　１号 , 孙八 ,１３８ ００００ １２３４,２,,,,\n").encode()
    report = import_households(data)
    assert report.ok, report.errors
    household = db.session.scalar(sa.select(Household).where(Household.head_name == "孙八"))
    # The door label keeps its full-width digits as typed; the phone and the numbers are compared, so folded.
    assert (household.door_label, household.phone, household.members) == ("８组 １号", "13800001234", 2)


def test_gbk_csv_from_excel_is_read(ctx):
    factories.small_county()
    data = (HEADER + "610923100001002,9组1号,周九,,1,,,,\n").encode("gb18030")
    assert import_households(data).ok


def test_one_bad_row_imports_nothing_and_every_bad_row_is_listed(ctx):
    factories.small_county()
    existing = db.session.scalar(sa.select(Household.door_label).join(Household.grid)
                                 .where(factories.Area.code == "610923100001001"))
    data = (HEADER
            + "610923100001002,1组1号,好人,13800001111,2,,,,\n"     # line 2: fine
            + "999999999999001,1组2号,,,1,,,,\n"                    # line 3: unknown grid
            + f"610923100001001,{existing},,,1,,,,\n"                # line 4: an update of a known door
            + "610923100001002,1组3号,,12345,1,,,,\n"                # line 5: bad phone
            + "610923100001002,1组4号,,,两,,,,\n"                    # line 6: bad number
            + ",1组5号,,,1,,,,\n"                                    # line 7: empty grid code
            + "610923100001002,,,,1,,,,\n"                           # line 8: empty door label
            + "610923100001002,1组1号,,,1,,,,\n"                     # line 9: same as line 2
            + "610923100001002,1组6号,,,1,也许,,,\n"                  # line 10: bad flag
            + "610923100001002,1组7号,,,1,,,95,108\n").encode()     # line 11: latitude out of range
    report = import_households(data)
    assert not report.ok
    by_line = {e.line: e.reason for e in report.errors}
    assert sorted(by_line) == [3, 5, 6, 7, 8, 9, 10, 11]
    assert "999999999999001" in by_line[3]
    assert "12345" in by_line[5]
    assert "整数" in by_line[6]
    assert "网格编码为空" in by_line[7]
    assert "门牌/地址为空" in by_line[8]
    assert "2" in by_line[9] and "9" in by_line[9]
    assert "也许" in by_line[10]
    assert "超出范围" in by_line[11]
    assert household_total() == 6


def test_blank_rows_are_skipped_but_line_numbers_kept(ctx):
    factories.small_county()
    report = import_households((HEADER + ",,,,,,,,\n610923100001002,2组1号,,12,1,,,,\n").encode())
    assert [e.line for e in report.errors] == [3]


def test_import_is_limited_to_the_users_grids(ctx):
    factories.small_county()
    data = (HEADER + "610923101001001,1组9号,,,1,,,,\n").encode()
    report = import_households(data, scope_codes=["610923100"])
    assert [e.line for e in report.errors] == [2]
    assert household_total() == 6


@pytest.mark.parametrize("data, message", [
    (b"", "文件为空"),
    (b"\x00\x01\x02binary", "不是 Excel"),
    (b"PK\x03\x04broken zip", "无法读取"),
    ("门牌,电话\n1号,138\n".encode(), "缺少列"),
])
def test_unreadable_files_are_refused_whole(ctx, data, message):
    with pytest.raises(FileFormatError) as caught:
        import_households(data)
    assert message in str(caught.value.message)


# --- upload page and template --------------------------------------------------------------

def upload(client, data, name="roster.csv"):
    return importing.upload(client, "/households/import", data, name)


def test_upload_page_imports_a_good_file(app, client, auth, county):
    auth.login("official_a")
    response = upload(client, (HEADER + "610923100001002,3组1号,,,1,,,,\n").encode())
    assert response.status_code == 302
    with app.app_context():
        assert household_total() == 7


def test_upload_page_lists_bad_rows_and_imports_nothing(app, client, auth, county):
    auth.login("official_a")
    response = upload(client, (HEADER + "610923100001002,3组1号,,,1,,,,\n610923101001001,3组2号,,,1,,,,\n").encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "未导入任何数据" in page and "1 行有问题" in page
    assert "610923101001001" in page and "<td>3</td>" in page
    with app.app_context():
        assert household_total() == 6


def test_upload_detects_content_not_name(app, client, auth, county):
    auth.login("official_a")
    response = upload(client, b"\x89PNG\r\n\x1a\n\x00\x00", name="roster.xlsx")
    assert response.status_code == 400
    assert "PNG" in response.get_data(as_text=True)  # says what the file is instead


def test_upload_without_a_file_is_refused(client, auth, county):
    auth.login("official_a")
    assert client.post("/households/import", data={}).status_code == 400


def test_oversized_upload_is_refused(app, client, auth, county):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    auth.login("official_a")
    assert upload(client, b"x" * 5000).status_code == 413


def test_template_downloads_round_trip(app, client, auth, county):
    auth.login("official_a")
    response = client.get("/households/import/template.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet["A1"].value.startswith("网格编码") and sheet.freeze_panes == "A2"
    # the template's example row, pointed at a real grid, imports as it is
    sheet["A2"] = "610923100001002"
    buffer = io.BytesIO()
    sheet.parent.save(buffer)
    assert upload(client, buffer.getvalue(), "t.xlsx").status_code == 302
    csv_template = client.get("/households/import/template.csv").data.decode("utf-8-sig")
    assert csv_template.startswith("网格编码,门牌/地址")


def test_cli_import_reports_bad_rows_and_exits_non_zero(app, runner, county, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "610923100001002,4组1号,,,0,,,,\n", encoding="utf-8")
    result = runner.invoke(args=["import-households", str(bad)])
    assert result.exit_code != 0
    with app.test_request_context():  # the command line speaks the app's default language
        line, nothing = gettext("Line %(line)s: %(reason)s", line=2, reason=""), gettext(
            "%(count)s bad rows: nothing was imported.", count=1)
        imported = gettext("%(rows)s rows imported: %(new)s new, %(changed)s updated, %(unchanged)s unchanged.",
                           rows=1, new=1, changed=0, unchanged=0)
    assert line in result.output and nothing in result.output
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "610923100001002,4组1号,,,1,,,,\n", encoding="utf-8")
    result = runner.invoke(args=["import-households", str(good)])
    assert result.exit_code == 0 and imported in result.output
    assert "正在检查数据行 (0/1)" in result.output  # each stage is printed as it begins
    with app.app_context():
        assert household_total() == 7
