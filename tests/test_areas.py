"""Areas: the code rules, household counts, the lazy tree, and who may see and change what."""
import pytest
import sqlalchemy as sa

from campaign.areas import services
from campaign.areas.models import Area, AreaLevel, parent_code
from campaign.core.errors import DomainError
from campaign.extensions import db

from . import factories


@pytest.mark.parametrize("code, level, parent", [
    ("4116", AreaLevel.CITY, None), ("610923", AreaLevel.COUNTY, "6109"),
    ("610923100", AreaLevel.TOWNSHIP, "610923"), ("610923100001", AreaLevel.VILLAGE, "610923100"),
    ("610923100001002", AreaLevel.GRID, "610923100001"),
])
def test_code_length_gives_level_and_parent(code, level, parent):
    assert AreaLevel.from_code(code) is level
    assert parent_code(code) == (None if level is AreaLevel.CITY else parent)


def test_create_area_under_its_parent(ctx):
    c = factories.small_county()
    grid = services.create_area(parent=c.village_a, code="610923100001003", name="第3网格")
    assert grid.level is AreaLevel.GRID and grid.parent is c.village_a


@pytest.mark.parametrize("code, message", [
    ("610923101001", "上级代码"),       # belongs to another township
    ("61092310000", "上级代码"),        # wrong length
    ("61092310000a", "只能包含数字"),
    ("610923100001", "已被使用"),       # taken
])
def test_create_area_refuses_bad_codes(ctx, code, message):
    c = factories.small_county()
    with pytest.raises(DomainError) as caught:
        services.create_area(parent=c.town_a, code=code, name="新村")
    assert message in str(caught.value.message) or caught.value.field == "code"


def test_half_a_location_is_refused(ctx):
    c = factories.small_county()
    with pytest.raises(DomainError):
        services.update_area(c.town_a, name="城关镇", lat=33.3, lon=None)


def test_household_counts_roll_up_to_every_level(ctx):
    c = factories.small_county()
    counts = {a.code: a.household_count for a in db.session.scalars(sa.select(Area))}
    assert counts["610923100001001"] == 3
    assert counts["610923100001"] == 4
    assert counts["610923100"] == 4
    assert counts["610923101"] == 2
    assert counts["610923"] == 6
    assert c.root.household_count == 6


def test_recount_repairs_drifted_counts(ctx):
    factories.small_county()
    db.session.execute(sa.update(Area).values(household_count=999))
    services.recount_households()
    assert db.session.scalar(sa.select(Area.household_count).where(Area.code == "610923")) == 6


def test_only_empty_areas_can_be_deleted(ctx):
    c = factories.small_county()
    with pytest.raises(DomainError):
        services.delete_area(c.grid_a1)  # has households and a worker
    empty = services.create_area(parent=c.village_a, code="610923100001009", name="空网格")
    services.delete_area(empty)
    assert services.get_by_code("610923100001009") is None


# --- views ---------------------------------------------------------------------------------

def test_county_office_opens_the_tree_root(client, auth, county):
    auth.login("admin")
    response = client.get("/areas/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "城关镇" in page and "四亩地镇" in page


def test_branch_children_load_lazily(client, auth, county):
    auth.login("admin")
    page = client.get("/areas/610923").get_data(as_text=True)
    assert "城南社区" not in page  # a grandchild: not loaded until its branch opens
    assert 'hx-get="/areas/610923100/children"' in page
    fragment = client.get("/areas/610923100/children").get_data(as_text=True)
    assert "城南社区" in fragment and "<html" not in fragment


def test_official_sees_only_their_township(client, auth, county):
    auth.login("official_a")
    assert client.get("/areas/610923100").status_code == 200
    assert client.get("/areas/610923101").status_code == 404
    assert client.get("/areas/610923").status_code == 404
    assert client.get("/areas/610923101/children").status_code == 404
    page = client.get("/areas/", follow_redirects=True).get_data(as_text=True)
    assert "四亩地镇" not in page


def test_worker_sees_only_their_grids(client, auth, county):
    auth.login("worker_a")
    assert client.get("/areas/610923100001001").status_code == 200
    assert client.get("/areas/610923100001002").status_code == 404
    assert client.get("/areas/610923100001").status_code == 404


def test_county_office_adds_a_village(app, client, auth, county):
    auth.login("admin")
    response = client.post("/areas/610923100/new", data={"code": "610923100002", "name": "老城村",
                                                         "lat": "33.31", "lon": "108.32"})
    assert response.status_code == 302
    with app.app_context():
        area = services.get_by_code("610923100002")
        assert area.name == "老城村" and area.level is AreaLevel.VILLAGE and area.parent.code == "610923100"


def test_bad_area_form_shows_the_error_and_changes_nothing(app, client, auth, county):
    auth.login("admin")
    response = client.post("/areas/610923100/new", data={"code": "610923101002", "name": "错村"})
    assert response.status_code == 400
    assert "上级代码 610923100" in response.get_data(as_text=True)
    with app.app_context():
        assert services.get_by_code("610923101002") is None


def test_county_office_renames_an_area(app, client, auth, county):
    auth.login("admin")
    response = client.post("/areas/610923100001/edit", data={"code": "x", "name": "城南新社区"})
    assert response.status_code == 302
    with app.app_context():
        assert services.get_by_code("610923100001").name == "城南新社区"


def test_county_office_deletes_an_empty_grid(app, client, auth, county):
    auth.login("admin")
    client.post("/areas/610923100001/new", data={"code": "610923100001009", "name": "空网格"})
    assert client.post("/areas/610923100001009/delete").status_code == 302
    with app.app_context():
        assert services.get_by_code("610923100001009") is None


def test_an_area_with_households_is_not_deleted(app, client, auth, county):
    auth.login("admin")
    page = client.post("/areas/610923100001001/delete", follow_redirects=True).get_data(as_text=True)
    assert 'alert-danger' in page  # the reason, not a silent redirect
    with app.app_context():
        assert services.get_by_code("610923100001001") is not None


def test_the_office_root_is_not_deleted(app, client, auth, county):
    auth.login("admin")
    client.post("/areas/610923/delete")
    with app.app_context():
        assert services.get_by_code("610923") is not None


COUNTY_ONLY = [
    ("get", "/areas/610923100/new"), ("post", "/areas/610923100/new"),
    ("get", "/areas/610923100/edit"), ("post", "/areas/610923100/edit"),
    ("post", "/areas/610923100001002/delete"), ("get", "/areas/import"), ("post", "/areas/import"),
    ("get", "/areas/import/template.csv"),
]


@pytest.mark.parametrize("method, url", COUNTY_ONLY)
def test_area_changes_need_the_county_office(client, auth, county, method, url):
    assert getattr(client, method)(url).status_code == 302  # anonymous: to the log-in page
    auth.login("official_a")
    assert getattr(client, method)(url).status_code == 403
    auth.logout()
    auth.login("admin")
    assert getattr(client, method)(url).status_code in (200, 302, 400)


def test_county_office_of_another_county_gets_404(app, client, auth, county):
    with app.app_context():
        other = factories.AreaFactory(code="610924", name="紫阳县")
        factories.UserFactory(username="admin_other", role=factories.Role.COUNTY, area=other)
        db.session.commit()
    auth.login("admin_other")
    for url in ("/areas/610923", "/areas/610923100/edit", "/areas/610923100/new", "/areas/610923100/children"):
        assert client.get(url).status_code == 404, url


def test_area_import_page_loads_division_rows(app, client, auth, county):
    auth.login("admin")
    csv = "code,name,streetCode\n610923100002,\"老城村委会\",610923100\n610924100001,\"外县村委会\",610924100\n"
    response = client.post("/areas/import", data={"file": (__import__("io").BytesIO(csv.encode()), "v.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        assert services.get_by_code("610923100002").name == "老城村"
        assert services.get_by_code("610924100001") is None  # outside the office's county: ignored


def test_area_import_page_lists_bad_rows_and_imports_nothing(app, client, auth, county):
    auth.login("admin")
    csv = "code,name,streetCode\n610923100002,\"老城村委会\",610923100\n61092310000X,\"坏码\",610923100\n"
    response = client.post("/areas/import", data={"file": (__import__("io").BytesIO(csv.encode()), "v.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "未导入任何数据" in page and "<td>3</td>" in page
    with app.app_context():
        assert services.get_by_code("610923100002") is None


@pytest.mark.parametrize("url, links", [
    ("/areas/import", ["/areas/import/template.csv"]),
    ("/households/import", ["/households/import/template.xlsx", "/households/import/template.csv"]),
    ("/incidents/import", ["/incidents/import/template.xlsx"]),
    ("/warnings/import", ["/warnings/import/template.xlsx"]),
])
def test_every_import_page_links_its_templates(client, auth, county, url, links):
    auth.login("admin")
    page = client.get(url).get_data(as_text=True)
    for link in links:
        assert f'href="{link}"' in page
        assert client.get(link).status_code == 200
