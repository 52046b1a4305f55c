"""Text is stored as it was typed (issue 13, point 3): Chinese punctuation stays in names, door labels,
descriptions, notes and reasons, on the page and in exports. Only compared values are folded: codes,
digits of numbers and phones, and the digits of a search."""
from __future__ import annotations

import io
from dataclasses import replace
from datetime import timedelta

import sqlalchemy as sa
from openpyxl import load_workbook

from campaign.core.clock import local_today
from campaign.core.tabular import read_table
from campaign.core.text import clean_code, clean_phone, clean_text, fold_digits
from campaign.core.types import utcnow
from campaign.creation import services as creation
from campaign.creation.models import TargetKind
from campaign.events import services as events
from campaign.events.models import EventKind
from campaign.extensions import db
from campaign.households import services as households
from campaign.incidents import services as incidents
from campaign.incidents.importer import COLUMNS as INCIDENT_COLUMNS
from campaign.incidents.models import FraudType
from campaign.warnings import services as warnings
from campaign.warnings.models import Level

from . import factories

DOOR = "3栋（东）"
DESCRIPTION = "刷单返利，先小额返利：后诱导大额转账！为何？不知；"
RESIDENT = "王某某（女）"
NOTE = "院坝会：发放资料，讲解案例！"
TARGET = "城关镇第一小学（分校）"
REASON = "重复录入：见上一条（同一案件）！"


def raw(sql: str, **params):
    return db.session.execute(sa.text(sql), params).scalar()


def cells(response) -> set:
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    return {value for sheet in book for row in sheet.iter_rows(values_only=True) for value in row}


def test_free_text_keeps_full_width_punctuation_and_only_loses_stray_spaces():
    assert clean_text("　3栋（东）  ：！？；\x00 ") == "3栋（东） ：！？；"
    assert clean_text("１２３") == "１２３"


def test_compared_values_fold_full_width_digits():
    assert clean_code(" ６１０９２３ ") == "610923"
    assert clean_phone("１３８ ０００１ ２３４５") == "13800012345"
    assert fold_digits("３栋（东）") == "3栋（东）"


def test_a_door_label_is_stored_and_shown_as_typed(app, client, auth, county):
    with app.app_context():
        grid = db.session.get(factories.Area, county.grid_a1.id)
        fields = households.check_fields(door_label=f" {DOOR} ", head_name="张（三）", phone="１３８００００１２３４",
                                         members="２", elderly_alone=False, at_risk=False, lat=None, lon=None)
        household = households.create_household(grid=grid, fields=fields)
        db.session.commit()
        household_id = household.id
        assert raw("SELECT door_label FROM household WHERE id = :id", id=household_id) == DOOR
        assert raw("SELECT head_name FROM household WHERE id = :id", id=household_id) == "张（三）"
        assert household.phone == "13800001234" and household.members == 2
    auth.login("official_a")
    assert DOOR in client.get(f"/households/{household_id}").get_data(as_text=True)
    assert DOOR in client.get(f"/households/{household_id}/access.json").get_data(as_text=True)


def test_a_search_finds_a_door_label_whatever_width_its_digits(app, client, auth, county):
    with app.app_context():
        grid = db.session.get(factories.Area, county.grid_a1.id)
        for door in ("１栋２号（西）", "1栋5号"):
            fields = households.check_fields(door_label=door, head_name=None, phone=None, members=1,
                                             elderly_alone=False, at_risk=False, lat=None, lon=None)
            households.create_household(grid=grid, fields=fields)
        db.session.commit()
    auth.login("official_a")
    for query in ("1栋", "１栋"):
        page = client.get("/households/", query_string={"q": query}).get_data(as_text=True)
        assert "１栋２号（西）" in page and "1栋5号" in page
    assert "１栋２号（西）" in client.get("/households/", query_string={"q": "（西）"}).get_data(as_text=True)


def test_an_incident_description_and_an_audit_reason_are_kept_as_typed(app, client, auth, county):
    with app.app_context():
        village = db.session.get(factories.Area, county.village_a.id)
        fields = incidents.check_fields(occurred_on=local_today() - timedelta(days=1),
                                        fraud_type=FraudType.BRUSHING, loss="１２０００", recovered="0",
                                        case_ref="Ａ６１０９２３", description=DESCRIPTION)
        incident = incidents.create_incident(village=village, fields=fields)
        kept = incidents.create_incident(village=village, fields=replace(fields, case_ref="A2"))
        db.session.commit()
        assert raw("SELECT description FROM incident WHERE id = :id", id=incident.id) == DESCRIPTION
        assert raw("SELECT case_ref FROM incident WHERE id = :id", id=incident.id) == "A610923"
        assert str(incident.loss) == "12000.00"
        incidents.delete_incident(kept, reason=REASON)
        db.session.commit()
        assert raw("SELECT reason FROM audit_entry WHERE action = 'delete' AND subject = 'incident'") == REASON
    auth.login("official_a")
    assert DESCRIPTION in cells(client.get("/incidents/export.xlsx"))
    auth.logout()
    auth.login("admin")
    assert REASON in client.get("/audit/").get_data(as_text=True)


def test_an_imported_file_keeps_free_text_as_typed_and_folds_its_codes():
    data = ("村(社区)代码,发案日期,诈骗类型,损失金额(元),简要案情\n"
            f"６１０９２３１００００１,２０２６-03-01,刷单返利,１００,{DESCRIPTION}\n")
    [row] = read_table(data.encode(), INCIDENT_COLUMNS)
    assert row.values["description"] == DESCRIPTION
    assert (row.values["village_code"], row.values["occurred_on"], row.values["loss"]) == \
        ("610923100001", "2026-03-01", "100")


def test_a_warning_resident_is_stored_shown_and_exported_as_typed(app, client, auth, county):
    with app.app_context():
        village = db.session.get(factories.Area, county.village_a.id)
        official = db.session.get(factories.User, county.official_a.id)
        warning = warnings.create_warning(area=village, resident=RESIDENT, level=Level.HIGH,
                                          received_at=utcnow() - timedelta(hours=1), source="市反诈中心（电话）",
                                          user=official)
        db.session.commit()
        warning_id = warning.id
        assert raw("SELECT resident FROM fraud_warning WHERE id = :id", id=warning_id) == RESIDENT
        assert raw("SELECT source FROM fraud_warning WHERE id = :id", id=warning_id) == "市反诈中心（电话）"
    auth.login("official_a")
    assert RESIDENT in client.get(f"/warnings/{warning_id}").get_data(as_text=True)
    assert RESIDENT in cells(client.get("/warnings/export.xlsx?show=all"))


def test_an_event_note_is_stored_shown_and_exported_as_typed(app, client, auth, county):
    with app.app_context():
        village = db.session.get(factories.Area, county.village_a.id)
        fields = events.check_fields(kind=EventKind.COURTYARD, held_on=local_today(), target="城南社区（院坝）",
                                     attendees=30, materials=10, organiser="李（网格员）", note=NOTE, app_installs=3)
        event = events.create_event(area=village, fields=fields)
        db.session.commit()
        event_id = event.id
        assert raw("SELECT note FROM publicity_event WHERE id = :id", id=event_id) == NOTE
    auth.login("official_a")
    assert NOTE in client.get(f"/events/{event_id}").get_data(as_text=True)
    assert NOTE in cells(client.get("/events/export.xlsx"))


def test_a_target_name_is_stored_shown_and_exported_as_typed(app, client, auth, county):
    with app.app_context():
        town = db.session.get(factories.Area, county.town_a.id)
        fields = creation.check_fields(kind=TargetKind.SCHOOL, name=TARGET, area=town, contact_name="王老师（校长）",
                                       contact_phone="０９１５－６８２１２３４", headcount="８６０")
        target = creation.create_target(area=town, fields=fields)
        db.session.commit()
        target_id = target.id
        assert raw("SELECT name FROM creation_target WHERE id = :id", id=target_id) == TARGET
        assert target.contact_phone == "0915-6821234" and target.headcount == 860
    auth.login("official_a")
    assert TARGET in client.get(f"/creation/{target_id}").get_data(as_text=True)
    assert TARGET in cells(client.get("/creation/export.xlsx"))


def test_a_user_name_is_folded_alike_at_creation_and_at_log_in(app, client, auth, county):
    from campaign.accounts import services as accounts
    from campaign.accounts.models import Role

    with app.app_context():
        town = db.session.get(factories.Area, county.town_a.id)
        user = accounts.create_user(username="ｏｆｆｉｃｉａｌ＿ｃ", display_name="陈（镇）", role=Role.OFFICIAL,
                                    area=town, password=factories.PASSWORD)
        db.session.commit()
        assert user.username == "official_c" and user.display_name == "陈（镇）"
    response = auth.login("ｏｆｆｉｃｉａｌ＿ｃ")
    assert response.status_code == 302
