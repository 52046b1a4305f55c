"""The county office manages people; nobody else does, and only inside its own county."""
import html

import pytest
import sqlalchemy as sa

from campaign.accounts import services
from campaign.accounts.models import Role, User
from campaign.accounts.passwords import RULE
from campaign.core.errors import DomainError
from campaign.extensions import db

from . import factories


def user(username):
    return db.session.scalar(sa.select(User).where(User.username == username))


def test_roles_need_the_right_kind_of_area(ctx):
    c = factories.small_county()
    with pytest.raises(DomainError):
        services.create_user(username="x1", display_name="", role=Role.OFFICIAL, password="Long-enough1", area=c.root)
    with pytest.raises(DomainError):
        services.create_user(username="x2", display_name="", role=Role.WORKER, password="Long-enough1", grids=[])
    with pytest.raises(DomainError):
        services.create_user(username="x3", display_name="", role=Role.WORKER, password="Long-enough1",
                             grids=[c.village_a])
    with pytest.raises(DomainError):
        services.create_user(username="x4", display_name="", role=Role.COUNTY, password="Sh0rt!", area=c.root)


def test_worker_scope_is_their_grids(ctx):
    c = factories.small_county()
    assert c.worker_a.scope_codes() == ["610923100001001"]
    assert c.official_a.scope_codes() == ["610923100"]
    assert c.admin.can_see(c.grid_b1) and not c.official_a.can_see(c.grid_b1)


def test_users_page_lists_only_people_of_the_county(app, client, auth, county):
    with app.app_context():
        other = factories.AreaFactory(code="610924", name="紫阳县")
        factories.UserFactory(username="stranger", role=Role.COUNTY, area=other)
        db.session.commit()
    auth.login("admin")
    page = client.get("/users/").get_data(as_text=True)
    assert "worker_b" in page and "official_a" in page and "stranger" not in page


def test_county_office_creates_a_worker_with_two_grids(app, client, auth, county):
    auth.login("admin")
    response = client.post("/users/new", data={
        "username": "wang", "display_name": "王芳", "role": "worker", "password": "A-long-password",
        "grid_codes": "610923100001001\n610923100001002"})
    assert response.status_code == 302
    with app.app_context():
        assert [g.code for g in user("wang").grids] == ["610923100001001", "610923100001002"]
    auth.logout()
    assert auth.login("wang", "A-long-password").status_code == 302
    with app.app_context():
        assert user("wang").must_change_password, "an account made by someone else changes its password first"


def test_grids_outside_the_county_are_unknown(app, client, auth, county):
    with app.app_context():
        other = factories.AreaFactory(code="610924", name="紫阳县")
        factories.AreaFactory(code="610924100001001", name="外县网格", parent=other)
        db.session.commit()
    auth.login("admin")
    response = client.post("/users/new", data={"username": "wang", "role": "worker", "password": "A-long-password",
                                               "grid_codes": "610924100001001"})
    assert response.status_code == 400
    assert "610924100001001" in response.get_data(as_text=True)
    with app.app_context():
        assert user("wang") is None


def test_county_office_moves_an_official_and_resets_a_password(app, client, auth, county):
    auth.login("admin")
    response = client.post(f"/users/{county.official_a.id}/edit", data={
        "username": "official_a", "display_name": "新名字", "role": "official", "area_code": "610923101",
        "password": "Brand-new-password", "active": "y"})
    assert response.status_code == 302
    with app.app_context():
        moved = user("official_a")
        assert moved.area.code == "610923101" and moved.check_password("Brand-new-password")


def test_deactivated_user_is_logged_out_and_cannot_log_in(app, client, auth, county):
    other = app.test_client()
    other.post("/login", data={"username": "worker_a", "password": "test-password-1"})
    assert other.get("/").status_code == 200
    auth.login("admin")
    client.post(f"/users/{county.worker_a.id}/edit", data={
        "username": "worker_a", "role": "worker", "grid_codes": "610923100001001"})  # active unticked
    assert other.get("/").status_code == 302
    assert other.post("/login", data={"username": "worker_a", "password": "test-password-1"}).status_code == 400


def test_admin_cannot_lock_themselves_out(app, client, auth, county):
    auth.login("admin")
    response = client.post(f"/users/{county.admin.id}/edit", data={
        "username": "admin", "role": "county", "area_code": "610923"})
    assert response.status_code == 400
    with app.app_context():
        assert user("admin").active


@pytest.mark.parametrize("method, path", [
    ("get", "/users/"), ("get", "/users/new"), ("post", "/users/new"),
    ("get", "/users/{id}/edit"), ("post", "/users/{id}/edit"),
])
def test_user_management_is_for_the_county_office_only(client, auth, county, method, path):
    url = path.format(id=county.worker_a.id)
    assert getattr(client, method)(url).status_code == 302
    for username in ("official_a", "worker_a"):
        auth.login(username)
        assert getattr(client, method)(url).status_code == 403
        auth.logout()


def test_user_of_another_county_is_404(app, client, auth, county):
    with app.app_context():
        other = factories.AreaFactory(code="610924", name="紫阳县")
        stranger = factories.UserFactory(username="stranger", role=Role.COUNTY, area=other)
        db.session.commit()
        stranger_id = stranger.id
    auth.login("admin")
    assert client.get(f"/users/{stranger_id}/edit").status_code == 404
    assert client.post(f"/users/{stranger_id}/edit", data={"username": "stranger"}).status_code == 404


def test_create_user_cli_makes_the_first_admin(app, runner):
    with app.app_context():
        factories.AreaFactory(code="610923", name="宁陕县")
        db.session.commit()
    result = runner.invoke(args=["create-user", "boss", "--area", "610923", "--password", "A-long-password"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert user("boss").role is Role.COUNTY and not user("boss").must_change_password
    result = runner.invoke(args=["create-user", "boss", "--area", "610923", "--password", "A-long-password"])
    assert result.exit_code != 0 and "已被使用" in result.output
    result = runner.invoke(args=["create-user", "x", "--area", "999999", "--password", "A-long-password"])
    assert result.exit_code != 0 and "unknown area" in result.output


def test_user_names_are_taken_regardless_of_case(app, client, auth, county):
    auth.login("admin")
    response = client.post("/users/new", data={"username": "Worker_A", "role": "worker", "password": "A-long-password",
                                               "grid_codes": "610923100001001"})
    assert response.status_code == 400 and "已被使用" in response.get_data(as_text=True)


def test_a_weak_password_is_refused_with_the_rule(app, client, auth, county):
    auth.login("admin")
    page = client.get("/users/new").get_data(as_text=True)
    with app.test_request_context():
        assert html.escape(str(RULE)) in page
    for weak in ("alllowercase1", "wang-Wang-2026"):
        response = client.post("/users/new", data={"username": "wang", "role": "worker", "password": weak,
                                                   "grid_codes": "610923100001001"})
        assert response.status_code == 400


def test_office_can_force_a_password_change(app, client, auth, county):
    auth.login("admin")
    client.post(f"/users/{county.worker_a.id}/edit", data={
        "username": "worker_a", "role": "worker", "grid_codes": "610923100001001", "active": "y",
        "must_change_password": "y"})
    with app.app_context():
        assert user("worker_a").must_change_password


def worker_in_two_counties(app, county):
    with app.app_context():
        other = factories.AreaFactory(code="610924", name="紫阳县")
        foreign = factories.AreaFactory(code="610924100001001", name="外县网格", parent=other)
        worker = db.session.get(User, county.worker_a.id)
        worker.grids = [*worker.grids, foreign]
        db.session.commit()


def test_county_office_sees_only_its_own_grids_of_a_shared_worker(app, client, auth, county):
    worker_in_two_counties(app, county)
    auth.login("admin")
    form = client.get(f"/users/{county.worker_a.id}/edit").get_data(as_text=True)
    users = client.get("/users/").get_data(as_text=True)
    assert "610923100001001" in form and "610924100001001" not in form
    assert "城南社区第1网格" in users and "外县网格" not in users


def test_saving_a_shared_worker_keeps_the_other_countys_grids(app, client, auth, county):
    worker_in_two_counties(app, county)
    auth.login("admin")
    response = client.post(f"/users/{county.worker_a.id}/edit", data={
        "username": "worker_a", "role": "worker", "grid_codes": "610923100001002", "active": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert [g.code for g in user("worker_a").grids] == ["610923100001002", "610924100001001"]
    response = client.post(f"/users/{county.worker_a.id}/edit", data={
        "username": "worker_a", "role": "official", "area_code": "610923100", "active": "y"})
    assert response.status_code == 400
