"""Creation target import (XLSX or CSV): every row checked first, one bad row imports nothing, and
every bad row is listed with its line and column."""
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from campaign.audit.models import AuditEntry
from campaign.core.tabular import FileFormatError
from campaign.creation import services
from campaign.creation.importer import import_targets
from campaign.creation.models import CreationTarget, TargetKind, TargetStatus
from campaign.extensions import db

from . import factories, importing
from .sheets import xlsx

HEADER = "类型,名称,所在区划代码,联系人,联系电话,人数\n"


def targets():
    return db.session.scalars(sa.select(CreationTarget).order_by(CreationTarget.id)).all()


def total():
    return db.session.scalar(sa.select(sa.func.count()).select_from(CreationTarget))


def register(area, kind=TargetKind.COMMUNITY, name="", headcount=0):
    fields = services.check_fields(kind=kind, name=name, area=area, headcount=headcount)
    return services.create_target(area=area, fields=fields)


# --- the importer ---------------------------------------------------------------------------------

def test_good_rows_of_every_kind_are_imported(ctx):
    c = factories.small_county()
    data = (HEADER + "村,,610923101001,李主任,13800001111,\n"
                     "社区,城南社区,610923100001,,,\n"
                     "学校,城关小学,610923100,王老师,0915-6821234,860\n"
                     "企业,宁陕茶厂,610923100001,,,45\n"
                     "单位,城关镇政府,610923100,,,60\n"
                     "school,宁陕中学,610923,,,1200\n").encode()
    report = import_targets(data, user=c.admin)
    assert report.ok, report.errors
    assert report.rows == 6
    found = [(t.kind, t.name, t.area.code, t.headcount, t.status) for t in targets()]
    assert found == [
        (TargetKind.COMMUNITY, "四亩地村", "610923101001", 0, TargetStatus.NOT_STARTED),
        (TargetKind.COMMUNITY, "城南社区", "610923100001", 0, TargetStatus.NOT_STARTED),
        (TargetKind.SCHOOL, "城关小学", "610923100", 860, TargetStatus.NOT_STARTED),
        (TargetKind.ENTERPRISE, "宁陕茶厂", "610923100001", 45, TargetStatus.NOT_STARTED),
        (TargetKind.ORGANISATION, "城关镇政府", "610923100", 60, TargetStatus.NOT_STARTED),
        (TargetKind.SCHOOL, "宁陕中学", "610923", 1200, TargetStatus.NOT_STARTED),
    ]
    assert targets()[0].contact_name == "李主任" and targets()[0].contact_phone == "13800001111"
    created = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject == "creation_target")).all()
    assert len(created) == 6 and {e.action for e in created} == {"create"} and {e.user_id for e in created} == {
        c.admin.id}


def test_xlsx_with_numeric_cells_is_read(ctx):
    factories.small_county()
    data = xlsx([["类型", "名称", "所在区划代码", "联系人", "联系电话", "人数"],
                 ["学校", "城关小学", 610923100, "王老师", 13800001234, 860],
                 ["村", None, 610923101001, None, None, None]])
    report = import_targets(data)
    assert report.ok, report.errors
    school = targets()[0]
    assert (school.area.code, school.contact_phone, school.headcount) == ("610923100", "13800001234", 860)
    assert targets()[1].name == "四亩地村"


def test_one_bad_row_imports_nothing_and_every_bad_row_is_listed(ctx):
    c = factories.small_county()
    factories.AreaFactory(code="610923100002", name="老城村", parent=c.town_a)
    register(c.village_a)
    register(c.town_a, TargetKind.SCHOOL, "城关中学", 900)
    data = (HEADER
            + "学校,城关小学,610923100,王老师,13800001111,860\n"   # line 2: fine
            + "学校,某小学,999999999999,,,100\n"                  # line 3: unknown area
            + "学校,四亩地小学,610923101,,,100\n"                 # line 4: another township
            + "医院,城关医院,610923100,,,100\n"                   # line 5: not a kind
            + "学校,城关幼儿园,610923100,,,\n"                    # line 6: no headcount
            + "企业,宁陕茶厂,610923100,,12345,40\n"               # line 7: not a phone
            + "学校,城关小学,610923100,,,860\n"                   # line 8: the same as line 2
            + "社区,,610923100001,,,\n"                          # line 9: known: an update
            + "学校,城关中学,610923100,,,900\n"                   # line 10: known: an update
            + "村,,610923100,,,\n"                               # line 11: a township is no village
            + "村,,610923100002,,,\n"                            # line 12: fine
            + "村,老城村,610923100002,,,\n"                       # line 13: the same village again
            + "学校,城关二小,610923100,,,-5\n"                    # line 14: negative headcount
            + "单位,城关派出所,610923100001001,,,30\n").encode()  # line 15: a grid
    report = import_targets(data, scope_codes=["610923100"], user=c.official_a)
    assert not report.ok and report.rows == 2
    by_line = {e.line: e for e in report.errors}
    assert sorted(by_line) == [3, 4, 5, 6, 7, 8, 11, 13, 14, 15]
    columns = {line: error.column for line, error in by_line.items()}
    assert columns == {3: "所在区划代码", 4: "所在区划代码", 5: "类型", 6: "人数", 7: "联系电话", 8: "名称",
                       11: "所在区划代码", 13: "名称", 14: "人数", 15: "所在区划代码"}
    assert "999999999999" in by_line[3].reason and "610923101" in by_line[4].reason
    assert "医院" in by_line[5].reason and "12345" in by_line[7].reason
    assert "2" in by_line[8].reason and "12" in by_line[13].reason
    assert (report.new, report.changes, report.unchanged) == (2, [], 2)  # lines 9 and 10: known, unchanged
    assert total() == 2  # only the two registered beforehand


def test_the_same_name_in_two_areas_is_two_targets(ctx):
    factories.small_county()
    data = (HEADER + "学校,中心小学,610923100,,,300\n学校,中心小学,610923101,,,200\n").encode()
    assert import_targets(data).ok and total() == 2


def test_import_respects_the_users_area(ctx):
    c = factories.small_county()
    report = import_targets((HEADER + "村,,610923101001,,,\n").encode(), scope_codes=c.official_a.scope_codes(),
                            user=c.official_a)
    assert [e.line for e in report.errors] == [2] and total() == 0


def test_blank_rows_are_skipped_but_line_numbers_kept(ctx):
    factories.small_county()
    report = import_targets((HEADER + ",,,,,\n学校,城关小学,610923100,,,\n").encode())
    assert [e.line for e in report.errors] == [3]


@pytest.mark.parametrize("data", [b"", "名称,人数\n城关小学,10\n".encode()])
def test_a_file_without_the_required_columns_is_refused_whole(ctx, data):
    with pytest.raises(FileFormatError):
        import_targets(data)


# --- the upload page and template -------------------------------------------------------------------

def upload(client, data, name="targets.csv"):
    return importing.upload(client, "/creation/import", data, name)


def test_an_official_imports_a_good_file(app, client, auth, county):
    auth.login("official_a")
    assert client.get("/creation/import").status_code == 200
    response = upload(client, (HEADER + "学校,城关小学,610923100,,,860\n村,,610923100001,,,\n").encode())
    assert response.status_code == 302 and response.headers["Location"].startswith("/creation/")
    with app.app_context():
        assert [t.name for t in targets()] == ["城关小学", "城南社区"]
        assert {t.created_by_id for t in targets()} == {county.official_a.id}
    assert "城关小学" in client.get("/creation/").get_data(as_text=True)


def test_the_upload_page_lists_bad_rows_and_imports_nothing(app, client, auth, county):
    auth.login("official_a")
    response = upload(client, (HEADER + "学校,城关小学,610923100,,,860\n村,,610923101001,,,\n").encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "<td>3</td>" in page and "610923101001" in page
    with app.app_context():
        assert total() == 0


def test_the_county_imports_across_its_townships(app, client, auth, county):
    auth.login("admin")
    response = upload(client, (HEADER + "村,,610923100001,,,\n村,,610923101001,,,\n").encode(), "t.txt")
    assert response.status_code == 302
    with app.app_context():
        assert total() == 2


def test_the_template_round_trips(app, client, auth, county):
    auth.login("official_a")
    response = client.get("/creation/import/template.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    headers = [cell.value for cell in sheet[1]]
    assert [h.replace(" *", "") for h in headers] == ["类型", "名称", "所在区划代码", "联系人", "联系电话", "人数"]
    buffer = io.BytesIO()
    sheet.parent.save(buffer)
    assert upload(client, buffer.getvalue(), "template.xlsx").status_code == 400  # its example row only: nothing
    sheet.append(["学校", "城南小学", "610923100001", "", "", 300])
    sheet.parent.save(buffer := io.BytesIO())
    assert upload(client, buffer.getvalue(), "template.xlsx").status_code == 302
    with app.app_context():
        school, = targets()  # the example row (宁陕县城关小学) is never imported
        assert (school.kind, school.name, school.area.code) == (TargetKind.SCHOOL, "城南小学", "610923100001")


def test_grid_workers_cannot_import_targets(client, auth, county):
    auth.login("worker_a")
    assert client.get("/creation/import").status_code == 403
    assert upload(client, (HEADER + "村,,610923100001,,,\n").encode()).status_code == 403
    assert client.get("/creation/import/template.xlsx").status_code == 403
