"""A household's rights over its personal data: a copy of everything held (查阅复制权) and erasure (删除权)."""
import io
import json

import openpyxl
import pytest
import sqlalchemy as sa

from campaign.accounts.models import User
from campaign.areas.models import Area
from campaign.audit.models import AuditEntry
from campaign.coverage.services import area_figures, child_figures, worker_figures
from campaign.extensions import db
from campaign.households.models import Household
from campaign.visits.models import Visit
from campaign.visits.services import record_visits

from . import factories, visiting

PHONE = "13812345678"


@pytest.fixture
def visited(app, county):
    """A round in which worker A visited three households of grid A1, one with a note."""
    with app.app_context():
        round_ = factories.RoundFactory(area=db.session.get(Area, county.root.id))
        households = [db.session.get(Household, h.id) for h in county.households_a[:3]]
        items = [visiting.visit(households[0], round_.id, minutes=0, installs=1, note="户主说儿子在外地"),
                 visiting.visit(households[0], round_.id, minutes=30, outcome="not_home"),
                 visiting.visit(households[1], round_.id, minutes=60, outcome="not_home"),
                 visiting.visit(households[2], round_.id, minutes=90, outcome="vacant")]
        record_visits(worker=db.session.get(User, county.worker_a.id), items=items)
        db.session.commit()
        return round_.id


def figures(round_id: int) -> dict:
    """Every coverage figure from the county down to the grids, and per worker."""
    result = {}
    for code in ("610923", "610923100", "610923100001", "610923100001001"):
        area = db.session.scalar(sa.select(Area).where(Area.code == code))
        result[code] = area_figures(round_id, area).as_dict()
        result[f"{code}/children"] = [(a.code, f.as_dict()) for a, f in child_figures(round_id, area)]
    root = db.session.scalar(sa.select(Area).where(Area.code == "610923"))
    result["workers"] = [(u.id, f.as_dict()) for u, f in worker_figures(round_id, root)]
    return result


# --- right of access ---------------------------------------------------------------------------

def test_the_json_export_holds_the_data_the_visits_and_who_viewed_it(app, client, auth, county, visited):
    household = county.households_a[0]
    auth.login("official_a")
    client.get(f"/households/{household.id}/edit")
    response = client.get(f"/households/{household.id}/access.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    report = json.loads(response.get_data(as_text=True))
    assert report["household"]["phone"] == PHONE and report["household"]["head_name"] == "张伟"
    assert [v["outcome"] for v in report["visits"]] == ["已入户宣传", "不在家"]
    assert report["visits"][0]["worker"] == "worker_a" and report["visits"][0]["note"] == "户主说儿子在外地"
    assert [e["action"] for e in report["audit"]] == ["view"]
    assert report["audit"][0]["who"] == "official_a" and report["audit"][0]["details"]["via"] == "edit page"
    with app.app_context():
        export = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "export"))
        assert export.subject_id == household.id and export.user_id == county.official_a.id


def test_the_excel_export_has_a_sheet_each_for_data_visits_and_views(client, auth, county, visited):
    auth.login("admin")
    response = client.get(f"/households/{county.households_a[0].id}/access.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["住户信息", "走访记录", "查阅记录"]
    data = {row[0]: row[1] for row in book["住户信息"].iter_rows(min_row=2, values_only=True)}
    assert data["联系电话"] == PHONE and data["户主姓名"] == "张伟"
    assert book["走访记录"].max_row == 3


def test_a_worker_cannot_export_a_household(client, auth, county):
    auth.login("worker_a")
    assert client.get(f"/households/{county.households_a[0].id}/access.json").status_code == 403


# --- erasure -----------------------------------------------------------------------------------

def test_erasure_keeps_every_coverage_figure_identical(app, client, auth, runner, county, visited):
    household = county.households_a[0]
    with app.app_context():
        before = figures(visited)
    auth.login("official_a")
    response = client.post(f"/households/{household.id}/erase",
                           data={"reason": "户主2026年11月30日书面申请删除", "confirm": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert figures(visited) == before
        erased = db.session.get(Household, household.id)
        assert (erased.head_name, erased.phone, erased.phone_index, erased.lat, erased.lon) == (None,) * 5
        assert erased.erased_at is not None and erased.door_label == household.door_label
        visits = db.session.scalars(sa.select(Visit).where(Visit.household_id == household.id)).all()
        assert len(visits) == 2 and all(v.note == "" for v in visits)
        assert all(v.lat is None or round(v.lat, 2) == v.lat for v in visits)
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "erase"))
        assert entry.reason == "户主2026年11月30日书面申请删除" and entry.subject_id == household.id
    assert runner.invoke(args=["rebuild-tallies"]).exit_code == 0
    with app.app_context():
        assert figures(visited) == before
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "138****5678" not in page and "张" not in page.split("<h1")[1].split("</dl>")[0]


def test_erasure_needs_a_reason_and_a_confirmation(app, client, auth, county):
    household = county.households_a[0]
    auth.login("official_a")
    form = client.get(f"/households/{household.id}/erase").get_data(as_text=True)
    assert 'name="reason"' in form and 'name="confirm"' in form and "onsubmit" not in form
    assert client.post(f"/households/{household.id}/erase", data={"reason": "申请", "confirm": ""}).status_code == 400
    assert client.post(f"/households/{household.id}/erase", data={"reason": "  ", "confirm": "y"}).status_code == 400
    with app.app_context():
        assert db.session.get(Household, household.id).phone == PHONE
        assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "erase")) is None


def test_erasure_cannot_be_repeated(client, auth, county):
    household = county.households_a[0]
    auth.login("official_a")
    data = {"reason": "户主申请", "confirm": "y"}
    assert client.post(f"/households/{household.id}/erase", data=data).status_code == 302
    assert client.post(f"/households/{household.id}/erase", data=data).status_code == 400
