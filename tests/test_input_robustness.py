"""Text, numbers and dates that used to take pages down with a 500: each is now refused with a
reason (400), answered 404, or stored and shown safely."""
import io
import uuid

import pytest
import sqlalchemy as sa

from campaign.areas.models import Area
from campaign.extensions import db
from campaign.households.models import Household
from campaign.incidents.importer import import_incidents
from campaign.warnings.importer import import_warnings

from . import factories, visiting

BIG_IDS = [2**31, 2**63, 10**30]


@pytest.fixture
def world(app):
    """The small county with a round in progress and households whose door labels carry digits
    that ``isdigit()`` accepts and ``int()`` refuses."""
    with app.app_context():
        c = factories.small_county()
        c.round = factories.RoundFactory(area=c.root)
        for label in ("❶号", "➀号", "2²号", "٣号"):
            factories.HouseholdFactory(grid=c.grid_a1, door_label=label)
        db.session.commit()
        return factories.snapshot(c)


def upload(client, url: str, text: str):
    return client.post(url, data={"file": (io.BytesIO(text.encode()), "rows.csv")},
                       content_type="multipart/form-data")


# ❶ in a door label

def test_a_grid_with_circled_digits_in_door_labels_still_shows_its_walk_list(client, auth, world):
    auth.login("worker_a")
    response = client.get(f"/api/v1/walklist?grid={world.grid_a1.code}")
    assert response.status_code == 200
    labels = [h["door_label"] for h in response.get_json()["households"]]
    assert {"❶号", "➀号", "2²号", "٣号"} <= set(labels)


def test_a_grid_with_circled_digits_in_door_labels_still_shows_its_coverage_and_export(client, auth, world):
    auth.login("admin")
    page = client.get(f"/coverage/{world.grid_a1.code}?round={world.round.id}")
    assert page.status_code == 200 and "❶号" in page.get_data(as_text=True)
    export = client.get(f"/coverage/{world.grid_a1.code}/export.xlsx?round={world.round.id}")
    assert export.status_code == 200 and export.data[:2] == b"PK"


# Codes are ASCII digits only

ARABIC_VILLAGE = "٦١٠٩٢٣١٠٠٠٠٢"  # 610923100002 in Arabic-Indic digits


def test_area_import_refuses_a_code_in_arabic_indic_digits(app, client, auth, county):
    auth.login("admin")
    response = upload(client, "/areas/import", f"code,name,streetCode\n{ARABIC_VILLAGE},老城村委会,610923100\n")
    assert response.status_code == 400 and ARABIC_VILLAGE in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(Area).where(Area.name.like("老城%"))) is None


def test_area_import_reads_full_width_digits_as_the_same_code(app, client, auth, county):
    auth.login("admin")
    response = upload(client, "/areas/import", "code,name,streetCode\n６１０９２３１００００２,老城村委会,610923100\n")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Area.code).where(Area.name == "老城村")) == "610923100002"


def test_area_form_refuses_a_code_in_arabic_indic_digits(app, client, auth, county):
    auth.login("admin")
    response = client.post("/areas/610923100/new", data={"code": ARABIC_VILLAGE, "name": "老城村"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(Area).where(Area.name == "老城村")) is None


# NUL characters

def test_a_nul_in_the_log_in_name_is_refused_with_a_reason(client, county):
    response = client.post("/login", data={"username": "admin\x00", "password": "x"})
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)


@pytest.mark.parametrize("send", [
    lambda client: client.get("/households/?q=1%00"),
    lambda client: client.get("/areas/6109%0023"),
    lambda client: client.post("/households/new", data={"grid_code": "610923100001001", "door_label": "9\x00号"}),
    lambda client: client.post("/api/v1/visits", json={"visits": [{"note": "a\x00b"}]}),
    lambda client: client.post("/api/v1/visits", json={"visits": [{"a\x00": 1}]}),
])
def test_a_nul_anywhere_in_a_request_is_refused_with_400(client, auth, county, send):
    auth.login("worker_a")
    response = send(client)
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)


# Ids that no row can have

@pytest.mark.parametrize("big", BIG_IDS)
@pytest.mark.parametrize("url", ["/households/{}", "/households/{}/edit", "/incidents/{}/edit", "/warnings/{}",
                                 "/rounds/{}/edit"])
def test_an_id_beyond_any_row_in_a_url_is_not_found(client, auth, county, url, big):
    auth.login("admin")
    assert client.get(url.format(big)).status_code == 404


@pytest.mark.parametrize("big", BIG_IDS)
@pytest.mark.parametrize("field", ["household_id", "round_id"])
def test_an_id_beyond_any_row_in_json_is_refused_with_a_reason(client, auth, world, field, big):
    auth.login("worker_a")
    item = {**visiting.visit(world.households_a[0], world.round.id), field: big}
    response = client.post("/api/v1/visits", json={"visits": [item]})
    assert response.status_code == 400
    assert field in response.get_json()["results"][0]["reason"]


@pytest.mark.parametrize("value", [str(2**31), str(2**63), "٣", "1_0", "+1", "-1"])
def test_a_round_in_a_query_string_is_refused_or_ignored_when_it_cannot_exist(client, auth, world, value):
    auth.login("worker_a")
    response = client.get(f"/api/v1/walklist?grid={world.grid_a1.code}&round={value}")
    assert response.status_code == 400 and "round" in response.get_json()["error"]
    auth.logout()
    auth.login("admin")
    for url in (f"/coverage/{world.grid_a1.code}?round={value}", f"/maps/{world.root.code}?round={value}"):
        assert client.get(url).status_code == 200, url


# Year 1 and year 9999

EDGE_DAYS = ["0001-01-01", "9999-12-31"]


@pytest.mark.parametrize("day", EDGE_DAYS)
def test_a_round_from_year_1_or_to_year_9999_is_refused_with_a_reason(app, client, auth, county, day):
    auth.login("admin")
    response = client.post("/rounds/new", data={"name": "远古行动", "starts_on": day, "ends_on": day})
    assert response.status_code == 400 and "2100" in response.get_data(as_text=True)


@pytest.mark.parametrize("day", EDGE_DAYS)
@pytest.mark.parametrize("url", ["/incidents/zero?area=610923&start={day}&end=2026-01-01",
                                 "/incidents/zero?area=610923&start=2026-01-01&end={day}",
                                 "/warnings/figures?area=610923&start={day}&end={day}",
                                 "/events/counts?area=610923&start={day}&end={day}",
                                 "/maps/610923/frame?start={day}&end={day}"])
def test_a_period_filter_at_year_1_or_9999_is_refused(client, auth, county, url, day):
    auth.login("admin")
    assert client.get(url.format(day=day)).status_code == 400


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+08:00", "0001-01-01T00:00:00-12:00",
                                    "9999-12-31T23:59:59-12:00"])
def test_a_visit_at_year_1_or_9999_is_refused_with_a_reason(client, auth, world, moment):
    auth.login("worker_a")
    item = visiting.visit(world.households_a[0], world.round.id, visited_at=moment)
    response = client.post("/api/v1/visits", json={"visits": [item]})
    assert response.status_code == 400
    assert "visited_at" in response.get_json()["results"][0]["reason"]


def test_imports_refuse_dates_at_year_1_or_9999_with_a_reason(ctx):
    c = factories.small_county()
    incidents = ("村(社区)代码,发案日期,诈骗类型,损失金额(元)\n"
                 "610923100001,0001-01-01,刷单返利,1\n610923100001,9999-12-31,刷单返利,1\n")
    report = import_incidents(incidents.encode(), user=c.admin)
    assert [e.line for e in report.errors] == [2, 3] and all("2100" in e.reason for e in report.errors)
    warnings = ("村(社区)或网格代码,居民,预警等级,接收时间\n"
                "610923100001,王某,高,0001-01-01 00:00\n610923100001,王某,高,9999-12-31 23:59\n")
    report = import_warnings(warnings.encode(), user=c.admin)
    assert [e.line for e in report.errors] == [2, 3] and all("2100" in e.reason for e in report.errors)


# JSON nested deep

@pytest.mark.parametrize("depth", [40, 1_000, 100_000])
def test_json_nested_deep_is_refused_with_a_reason(client, auth, county, depth):
    auth.login("worker_a")
    body = '{"visits": [' + "[" * depth + "]" * depth + "]}"
    response = client.post("/api/v1/visits", data=body, content_type="application/json")
    assert response.status_code == 400 and "JSON 嵌套超过 32 层" in response.get_json()["error"]


# The error page after a failed write

def test_the_error_page_renders_after_a_failed_write(app, client, auth, county):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def duplicate_household():
        db.session.add_all([Household(grid_id=county.grid_a1.id, door_label="同号", members=1),
                            Household(grid_id=county.grid_a1.id, door_label="同号", members=1)])
        db.session.flush()  # IntegrityError: the session now needs a rollback before any query

    app.add_url_rule("/test-failed-write", view_func=duplicate_household)
    auth.login("admin")
    response = client.get("/test-failed-write")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "<h1" in page and "500" in page
    assert client.get("/").status_code == 200  # the next request is served normally


# A conflict answer tells nothing about another worker's visit

def test_a_conflict_with_another_workers_visit_does_not_reveal_its_id(app, client, auth, world):
    shared = str(uuid.uuid4())
    auth.login("worker_a")
    mine = visiting.visit(world.households_a[0], world.round.id, uuid=shared)
    assert client.post("/api/v1/visits", json={"visits": [mine]}).status_code == 200
    auth.logout()
    auth.login("worker_b")
    theirs = visiting.visit(world.households_b[0], world.round.id, uuid=shared)
    response = client.post("/api/v1/visits", json={"visits": [theirs]})
    result = response.get_json()["results"][0]
    assert response.status_code == 409 and result["status"] == "conflict"
    assert "visit_id" not in result and result["code"] == "conflict" and "其他网格员" in result["reason"]
