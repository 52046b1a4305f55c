"""Re-importing never doubles anything: an exported file imported unchanged changes nothing, two edited
cells are exactly two audited changes, a key twice in one file is refused, and only the uploader can
confirm what they previewed."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from campaign.areas.models import Area
from campaign.audit.models import AuditEntry
from campaign.creation.models import CreationTarget
from campaign.extensions import db
from campaign.households.models import Household
from campaign.incidents.models import Incident
from campaign.warnings.models import FraudWarning, Level

from .conftest import PASSWORD
from .importing import confirm, preview, preview_counts, preview_token
from .sheets import xlsx
from .test_exports import records  # noqa: F401  (the fixture)

ROSTER_HEADER = ["网格编码", "门牌/地址", "户主姓名", "联系电话", "家庭人口", "独居老人", "重点关注", "纬度", "经度"]


def roster_export(app) -> bytes:
    """The roster as an office keeps it, in the import's columns (households have no list export)."""
    with app.app_context():
        rows = db.session.execute(sa.select(Area.code, Household.door_label, Household.head_name, Household.phone,
                                            Household.members, Household.elderly_alone, Household.at_risk,
                                            Household.lat, Household.lon)
                                  .join(Area, Area.id == Household.grid_id).where(Area.code.like("610923100%"))
                                  .order_by(Household.id)).all()
    return xlsx([ROSTER_HEADER, *([code, door, head or "", phone or "", members, "是" if alone else "否",
                                   "是" if risk else "否", lat, lon]
                                  for code, door, head, phone, members, alone, risk, lat, lon in rows)])


# kind: (page, export URL or None for the roster, model, audited subject, the row's key column and value,
#        {column: new value} for the two edited cells (row key first), what to check once imported)
KINDS = {
    "incidents": ("/incidents/import", "/incidents/export.xlsx", Incident, "incident",
                  [("案件编号", "A610923100001", "损失金额(元)", "13000"),
                   ("案件编号", "A610923100001", "简要案情", "先返利后诱导，改过")]),
    "warnings": ("/warnings/import", "/warnings/export.xlsx?show=all", FraudWarning, "warning",
                 [("居民", "王某某", "来源", "县反诈中心"), ("居民", "李某", "预警等级", "中")]),
    "targets": ("/creation/import", "/creation/export.xlsx", CreationTarget, "creation_target",
                [("名称", "城关小学", "人数", 900), ("名称", "城关小学", "联系人", "李老师")]),
    "households": ("/households/import", None, Household, "household", None),
}


def exported(app, client, kind: str) -> bytes:
    page, url, *_ = KINDS[kind]
    if url is None:
        return roster_export(app)
    response = client.get(url)
    assert response.status_code == 200
    return response.data


def edited(data: bytes, edits) -> bytes:
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    for key_column, key, column, value in edits:
        row = next(r for r in sheet.iter_rows(min_row=2) if r[header.index(key_column)].value == key)
        row[header.index(column)].value = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def household_edits(app):
    with app.app_context():
        door = db.session.scalar(sa.select(Household.door_label).join(Area, Area.id == Household.grid_id)
                                 .where(Area.code.like("610923100%")).order_by(Household.id).limit(1))
    return [("门牌/地址", door, "家庭人口", 5), ("门牌/地址", door, "户主姓名", "王二（改）")]


def counts(app, kind: str) -> tuple[int, int]:
    model, subject = KINDS[kind][2], KINDS[kind][3]
    with app.app_context():
        return (db.session.scalar(sa.select(sa.func.count()).select_from(model)),
                db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.subject == subject)))


@pytest.fixture
def office(app, client, auth, records):  # noqa: F811
    auth.login("official_a")
    with app.app_context():
        grid = db.session.scalar(sa.select(Area).where(Area.code == "610923100001001"))
        if not db.session.scalar(sa.select(sa.func.count()).select_from(Household)):
            db.session.add_all([Household(grid=grid, door_label=f"城南 {i}组1号", head_name="王二", members=3)
                                for i in range(1, 4)])
            db.session.commit()


@pytest.mark.parametrize("kind", KINDS)
def test_an_export_imported_unchanged_is_all_unchanged_and_confirming_writes_nothing(app, client, office, kind):
    data = exported(app, client, kind)
    before = counts(app, kind)
    response = preview(client, KINDS[kind][0], data)
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    new, changed, unchanged = preview_counts(response)
    rows = load_workbook(io.BytesIO(data)).worksheets[0].max_row - 1
    assert (new, changed, unchanged) == (0, 0, rows)
    assert counts(app, kind) == before
    response = confirm(client, KINDS[kind][0], preview_token(response))
    assert response.status_code == 302
    assert counts(app, kind) == before


@pytest.mark.parametrize("kind", KINDS)
def test_two_edited_cells_are_exactly_two_audited_changes(app, client, office, kind):
    edits = KINDS[kind][4] or household_edits(app)
    data = edited(exported(app, client, kind), edits)
    before = counts(app, kind)
    response = preview(client, KINDS[kind][0], data)
    page = response.get_data(as_text=True)
    new, changed, _unchanged = preview_counts(response)
    assert new == 0 and changed == len({key for _, key, _, _ in edits})
    for _, _, column, value in edits:
        assert column in page and f"→ {value}" in page
    assert counts(app, kind) == before  # nothing written by the preview
    assert confirm(client, KINDS[kind][0], preview_token(response)).status_code == 302
    count, audited = counts(app, kind)
    assert count == before[0] and audited == before[1] + changed
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.subject == KINDS[kind][3],
                                                                 AuditEntry.action == "update")).all()
        changed_fields = sorted(name for entry in entries for name in entry.changes)
        expected = {"incidents": ["description", "loss"], "warnings": ["level", "source"],
                    "targets": ["contact_name", "headcount"], "households": ["head_name", "members"]}[kind]
        assert changed_fields == expected
        if kind == "incidents":
            incident = db.session.scalar(sa.select(Incident).where(Incident.case_ref == "A610923100001"))
            assert incident.loss == Decimal("13000.00") and incident.description == "先返利后诱导，改过"
        elif kind == "warnings":
            assert db.session.scalar(sa.select(FraudWarning.level).where(FraudWarning.resident == "李某")) \
                is Level.MEDIUM
        elif kind == "targets":
            school = db.session.scalar(sa.select(CreationTarget).where(CreationTarget.name == "城关小学"))
            assert (school.headcount, school.contact_name) == (900, "李老师")
        else:
            household = db.session.scalar(sa.select(Household).join(Area, Area.id == Household.grid_id)
                                          .where(Area.code.like("610923100%")).order_by(Household.id).limit(1))
            assert (household.members, household.head_name) == (5, "王二（改）")


@pytest.mark.parametrize("kind", KINDS)
def test_a_key_twice_in_one_file_is_refused_with_both_lines(app, client, office, kind):
    book = load_workbook(io.BytesIO(exported(app, client, kind)))
    sheet = book.worksheets[0]
    sheet.append([cell.value for cell in sheet[2]])
    last = sheet.max_row
    buffer = io.BytesIO()
    book.save(buffer)
    before = counts(app, kind)
    response = preview(client, KINDS[kind][0], buffer.getvalue())
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and preview_token(response) is None
    assert f"<td>{last}</td>" in page and "2" in page
    assert counts(app, kind) == before


def test_the_confirm_step_by_another_user_or_without_the_token_is_404(app, client, auth, office):
    response = preview(client, "/creation/import", edited(exported(app, client, "targets"),
                                                         KINDS["targets"][4]))
    token = preview_token(response)
    assert confirm(client, "/creation/import", "0" * 32).status_code == 404
    auth.logout()
    assert auth.login("official_b").headers["Location"] != "/login"
    response = confirm(client, "/creation/import", token)
    assert response.status_code == 404, response.headers.get("Location")
    other_browser = app.test_client()  # the same person in another session: the token is not in it
    other_browser.post("/login", data={"username": "official_a", "password": PASSWORD})
    assert confirm(other_browser, "/creation/import", token).status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(CreationTarget.headcount).where(CreationTarget.name == "城关小学")) == 860


def test_a_record_changed_between_preview_and_confirm_is_previewed_again(app, client, office):
    response = preview(client, "/creation/import", edited(exported(app, client, "targets"), KINDS["targets"][4]))
    with app.app_context():
        school = db.session.scalar(sa.select(CreationTarget).where(CreationTarget.name == "城关小学"))
        school.contact_name = "李老师"
        db.session.commit()
    response = confirm(client, "/creation/import", preview_token(response))
    assert response.status_code == 200 and preview_counts(response)[1] == 1
    with app.app_context():
        assert db.session.scalar(sa.select(CreationTarget.headcount).where(CreationTarget.name == "城关小学")) == 860
    assert confirm(client, "/creation/import", preview_token(response)).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(CreationTarget.headcount).where(CreationTarget.name == "城关小学")) == 900


def _roster_with_a_hidden_row_and_a_stray_column() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["网格编码", "门牌/地址", "家庭人口", "备注"])
    for n in range(1, 4):
        sheet.append(["610923100001001", f"隐藏测试{n}号", 2, "某某"])
    sheet.row_dimensions[3].hidden = True
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def doors() -> set[str]:
    return set(db.session.scalars(sa.select(Household.door_label).where(Household.door_label.like("隐藏测试%"))))


def test_a_stray_column_needs_a_tick_and_hidden_rows_are_imported_only_when_ticked(app, client, office):
    page = "/households/import"
    response = preview(client, page, _roster_with_a_hidden_row_and_a_stray_column())
    text = response.get_data(as_text=True)
    assert "备注" in text and "import-hidden-lines" in text and preview_counts(response) == (2, 0, 0)
    response = confirm(client, page, preview_token(response), ignore_columns=None)
    assert response.status_code == 200 and "import-ignored-columns" in response.get_data(as_text=True)
    with app.app_context():
        assert doors() == set()
    response = confirm(client, page, preview_token(response), include_hidden="y")  # a new preview, with it
    assert response.status_code == 200 and preview_counts(response) == (3, 0, 0)
    with app.app_context():
        assert doors() == set()
    assert confirm(client, page, preview_token(response), include_hidden="y").status_code == 302
    with app.app_context():
        assert doors() == {"隐藏测试1号", "隐藏测试2号", "隐藏测试3号"}


def test_hidden_rows_are_left_out_unless_ticked(app, client, office):
    page = "/households/import"
    response = preview(client, page, _roster_with_a_hidden_row_and_a_stray_column())
    assert confirm(client, page, preview_token(response)).status_code == 302
    with app.app_context():
        assert doors() == {"隐藏测试1号", "隐藏测试3号"}
