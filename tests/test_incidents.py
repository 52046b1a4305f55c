"""Incidents: checked input, all-or-nothing import, the audit log, and the zero-incident figures."""
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from campaign.accounts.models import User
from campaign.areas.models import Area
from campaign.audit.models import AuditEntry
from campaign.core.clock import local_today
from campaign.core.errors import DomainError
from campaign.demo.builder import build_demo
from campaign.extensions import db
from campaign.incidents import services
from campaign.incidents.importer import import_incidents
from campaign.incidents.models import FraudType, Incident
from campaign.incidents.zero import year_earlier, zero_report

from . import factories

HEADER = "村(社区)代码,发案日期,诈骗类型,损失金额(元),挽回或止付金额(元),案件编号,简要案情\n"


def fields(**overrides):
    values = dict(occurred_on=date(2026, 3, 1), fraud_type="刷单返利", loss="12,000", recovered="0",
                  case_ref="A1", description="刷单")
    values.update(overrides)
    return services.check_fields(**values)


def count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Incident))


def test_fields_take_the_standard_chinese_types_and_amounts():
    f = fields()
    assert f.fraud_type is FraudType.BRUSHING and f.loss == Decimal("12000.00")
    assert fields(fraud_type="杀猪盘").fraud_type is FraudType.ROMANCE
    assert fields(fraud_type="investment").fraud_type is FraudType.INVESTMENT


@pytest.mark.parametrize("overrides, field", [
    ({"loss": "-5"}, "loss"), ({"recovered": "abc"}, "recovered"), ({"fraud_type": "骗局"}, "fraud_type"),
    ({"occurred_on": None}, "occurred_on"), ({"occurred_on": local_today() + timedelta(days=1)}, "occurred_on"),
    ({"loss": "NaN"}, "loss"), ({"loss": "1e12"}, "loss"),
])
def test_bad_values_are_refused(overrides, field):
    with pytest.raises(DomainError) as caught:
        fields(**overrides)
    assert caught.value.field == field


def test_incidents_belong_to_villages(ctx):
    c = factories.small_county()
    with pytest.raises(DomainError):
        services.create_incident(village=c.town_a, fields=fields())


def test_every_change_is_in_the_audit_log(ctx):
    c = factories.small_county()
    incident = services.create_incident(village=c.village_a, fields=fields(), user=c.official_a)
    services.update_incident(incident, village=c.village_a, fields=fields(loss="15000"), user=c.official_a)
    services.delete_incident(incident, user=c.admin)
    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert entries[1].changes == {"loss": ["12000.00", "15000.00"]}
    assert entries[1].user_id == c.official_a.id and entries[2].user_id == c.admin.id
    assert entries[2].changes["case_ref"] == ["A1", None]


def test_year_earlier_handles_leap_days():
    assert year_earlier(date(2024, 2, 29)) == date(2023, 2, 28)


def test_zero_report_on_crafted_data(ctx):
    c = factories.small_county()
    other = factories.AreaFactory(code="610923100002", name="老城村", parent=c.town_a)
    services.create_incident(village=c.village_a, fields=fields(occurred_on=date(2025, 5, 1), loss="3000"))
    services.create_incident(village=c.village_a, fields=fields(occurred_on=date(2025, 6, 1), loss="1000"))
    services.create_incident(village=other, fields=fields(occurred_on=date(2024, 5, 1), loss="8000"))
    services.create_incident(village=c.village_b, fields=fields(occurred_on=date(2024, 7, 1), loss="8000"))
    report = zero_report(c.root, date(2025, 1, 1), date(2025, 12, 31))
    assert (report.cases, report.loss, report.cases_before, report.loss_before) == (2, Decimal(4000), 2, Decimal(16000))
    assert report.cases_change == 0 and report.loss_change == -0.75
    assert [v.name for v in report.zero_villages] == ["老城村", "四亩地村"]
    assert report.zero_village_share == 2 / 3 and report.zero_township_share == 0.5


@pytest.fixture
def seeded(ctx):
    build_demo(scale="county", seed=11)
    return db.session.scalar(sa.select(factories.Area).where(factories.Area.code == "610923"))


def test_demo_reproduces_the_ningshan_figures_for_2022(seeded):
    report = zero_report(seeded, date(2022, 1, 1), date(2022, 12, 31))
    assert report.cases == 9 and report.loss == Decimal("193900.00")
    assert f"{-report.cases_change:.2%}" == "35.71%" and f"{-report.loss_change:.1%}" == "74.5%"
    assert f"{report.zero_township_share:.1%}" == "54.5%" and f"{report.zero_village_share:.2%}" == "88.75%"


def test_zero_page_shows_the_seed_figures(app, client, auth):
    with app.app_context():
        build_demo(scale="county", seed=11)
        db.session.commit()
    client.post("/login", data={"username": "admin", "password": "Wuzha@2026"})
    page = client.get("/incidents/zero?area=610923&start=2022-01-01&end=2022-12-31").get_data(as_text=True)
    for text in ("9", "19.39", "35.71%", "74.50%", "54.5%", "88.75%", "同比下降"):
        assert text in page, text


def test_zero_page_refuses_a_backwards_period(client, auth, county):
    auth.login("admin")
    response = client.get("/incidents/zero?area=610923&start=2022-12-31&end=2022-01-01")
    assert response.status_code == 400


# --- import ---------------------------------------------------------------------------------

def test_import_good_rows(ctx):
    c = factories.small_county()
    data = (HEADER + "610923100001,2026-01-05,刷单返利,12000,0,A1,刷单\n"
                     "610923101001,2026/02/06,冒充公检法,\"8,000\",2000,A2,\n").encode()
    report = import_incidents(data, user=c.admin)
    assert report.ok and report.rows == 2 and count() == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 2


def test_import_with_bad_rows_imports_nothing_and_lists_them(ctx):
    c = factories.small_county()
    future = (local_today() + timedelta(days=3)).isoformat()
    data = (HEADER + "610923100001,2026-01-05,刷单返利,12000,0,A1,\n"
                     "999999999999,2026-01-05,刷单返利,1,0,,\n"
                     "610923100001,yesterday,刷单返利,1,0,,\n"
                     "610923100001,2026-01-05,骗局,1,0,,\n"
                     "610923100001,2026-01-05,刷单返利,-100,0,,\n"
                     f"610923100001,{future},刷单返利,1,0,,\n").encode()
    report = import_incidents(data, user=c.admin)
    assert [e.line for e in report.errors] == [3, 4, 5, 6, 7]
    assert count() == 0


def test_import_respects_the_users_area(ctx):
    c = factories.small_county()
    report = import_incidents((HEADER + "610923101001,2026-01-05,刷单返利,1,0,,\n").encode(),
                              scope_codes=["610923100"], user=c.official_a)
    assert not report.ok and count() == 0


# --- views ----------------------------------------------------------------------------------

def test_official_records_and_edits_an_incident(app, client, auth, county):
    auth.login("official_a")
    response = client.post("/incidents/new", data={
        "village_code": "610923100001", "occurred_on": "2026-02-01", "fraud_type": "loan", "loss": "5000",
        "recovered": "0", "case_ref": "A9", "description": "虚假贷款"})
    assert response.status_code == 302
    with app.app_context():
        incident = db.session.scalar(sa.select(Incident))
        incident_id = incident.id
    client.post(f"/incidents/{incident_id}/edit", data={
        "village_code": "610923100001", "occurred_on": "2026-02-01", "fraud_type": "loan", "loss": "6000",
        "recovered": "500"})
    with app.app_context():
        assert db.session.get(Incident, incident_id).loss == Decimal("6000.00")
    page = client.get("/incidents/").get_data(as_text=True)
    assert "虚假网络贷款" in page and "6,000.00" in page


def test_negative_loss_in_the_form_is_refused(app, client, auth, county):
    auth.login("official_a")
    response = client.post("/incidents/new", data={"village_code": "610923100001", "occurred_on": "2026-02-01",
                                                   "fraud_type": "loan", "loss": "-1"})
    assert response.status_code == 400
    with app.app_context():
        assert count() == 0


def test_official_cannot_record_in_another_township(app, client, auth, county):
    auth.login("official_a")
    response = client.post("/incidents/new", data={"village_code": "610923101001", "occurred_on": "2026-02-01",
                                                   "fraud_type": "loan", "loss": "1"})
    assert response.status_code == 400 and "610923101001" in response.get_data(as_text=True)


def test_upload_page_lists_bad_rows(app, client, auth, county):
    auth.login("official_a")
    data = (HEADER + "610923100001,2026-01-05,刷单返利,abc,0,,\n").encode()
    response = client.post("/incidents/import", data={"file": (io.BytesIO(data), "i.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "<td>2</td>" in response.get_data(as_text=True)


def test_audit_log_is_for_the_county_office(app, client, auth, county):
    auth.login("official_a")
    client.post("/incidents/new", data={"village_code": "610923100001", "occurred_on": "2026-02-01",
                                        "fraud_type": "loan", "loss": "5000"})
    assert client.get("/audit/").status_code == 403
    auth.logout()
    auth.login("admin")
    page = client.get("/audit/?subject=incident").get_data(as_text=True)
    assert "虚假网络贷款" in page and "5,000.00" in page  # the audit log shows labels, not `loan`


def test_an_official_can_neither_edit_nor_delete_an_incident_the_county_office_recorded(app, client, auth, county):
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
        village = db.session.scalar(sa.select(Area).where(Area.code == "610923100001"))
        incident_id = services.create_incident(village=village, fields=fields(), user=admin).id
        db.session.commit()
    auth.login("official_a")
    assert f"/incidents/{incident_id}/edit" not in client.get("/incidents/").get_data(as_text=True)
    assert client.get(f"/incidents/{incident_id}/edit").status_code == 403
    assert client.post(f"/incidents/{incident_id}/edit", data={
        "village_code": "610923100001", "occurred_on": "2026-02-01", "fraud_type": "loan", "loss": "0"}
    ).status_code == 403
    assert client.post(f"/incidents/{incident_id}/delete").status_code == 403
    with app.app_context():
        assert db.session.get(Incident, incident_id).loss == Decimal("12000.00")
    auth.logout()
    auth.login("admin")
    assert f"/incidents/{incident_id}/edit" in client.get("/incidents/?area=610923100").get_data(as_text=True)
    assert client.post(f"/incidents/{incident_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(Incident, incident_id) is None
