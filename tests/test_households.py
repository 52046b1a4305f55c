"""Households: checking input, keeping counts exact, masking personal data, and area scope."""
import pytest
import sqlalchemy as sa

from campaign.areas.models import Area
from campaign.core.errors import DomainError
from campaign.core.text import mask_phone
from campaign.extensions import db
from campaign.households import services
from campaign.households.models import Household

from . import factories


def fields(**overrides):
    values = dict(door_label="1组1号", head_name="李娜", phone="13912345678", members=2,
                  elderly_alone=False, at_risk=False, lat=None, lon=None)
    values.update(overrides)
    return services.check_fields(**values)


def count_of(code):
    return db.session.scalar(sa.select(Area.household_count).where(Area.code == code))


@pytest.mark.parametrize("phone, expected", [
    ("138 1234 5678", "13812345678"), ("１３８１２３４５６７８", "13812345678"), ("+86 13812345678", "13812345678"),
    ("0915-6821234", "0915-6821234"), ("", None),
])
def test_phones_are_normalised(phone, expected):
    assert fields(phone=phone).phone == expected


@pytest.mark.parametrize("overrides, field", [
    ({"door_label": "  "}, "door_label"), ({"phone": "12345"}, "phone"), ({"members": 0}, "members"),
    ({"members": "三"}, "members"), ({"lat": 33.2, "lon": None}, "lat"), ({"lat": "95", "lon": "108"}, "lat"),
])
def test_bad_values_name_their_field(overrides, field):
    with pytest.raises(DomainError) as caught:
        fields(**overrides)
    assert caught.value.field == field


def test_door_label_keeps_what_was_typed_but_spaces_and_numbers_are_cleaned():
    f = fields(door_label="　３组　 ５号 ", members="４")
    assert f.door_label == "３组 ５号" and f.members == 4


def test_phone_is_masked_in_lists():
    assert mask_phone("13812345678") == "138****5678"


def test_create_move_and_delete_keep_counts_exact(ctx):
    c = factories.small_county()
    household = services.create_household(grid=c.grid_a2, fields=fields())
    assert (count_of("610923100001002"), count_of("610923100"), count_of("610923")) == (2, 5, 7)
    services.update_household(household, grid=c.grid_b1, fields=fields())
    assert (count_of("610923100"), count_of("610923101"), count_of("610923")) == (4, 3, 7)
    services.delete_household(household)
    assert (count_of("610923101"), count_of("610923")) == (2, 6)


def test_same_door_twice_in_a_grid_is_refused(ctx):
    c = factories.small_county()
    services.create_household(grid=c.grid_a2, fields=fields())
    with pytest.raises(DomainError) as caught:
        services.create_household(grid=c.grid_a2, fields=fields())
    assert caught.value.field == "door_label"
    services.create_household(grid=c.grid_a1, fields=fields())  # same label, other grid: fine


def test_households_belong_to_grids_only(ctx):
    c = factories.small_county()
    with pytest.raises(DomainError):
        services.create_household(grid=c.village_a, fields=fields())


# --- views ---------------------------------------------------------------------------------

def test_list_masks_names_and_phones(client, auth, county):
    auth.login("official_a")
    page = client.get("/households/").get_data(as_text=True)
    assert "138****5678" in page and "13812345678" not in page
    assert "张**" in page and "张伟" not in page


def test_detail_is_masked_until_the_full_phone_is_asked_for(client, auth, county):
    auth.login("official_a")
    page = client.get(f"/households/{county.households_a[0].id}").get_data(as_text=True)
    assert "138****5678" in page and "13812345678" not in page and "张伟" not in page
    page = client.post(f"/households/{county.households_a[0].id}/reveal").get_data(as_text=True)
    assert "13812345678" in page and "张伟" in page


def test_list_is_limited_to_the_users_area(client, auth, county):
    auth.login("official_b")
    page = client.get("/households/").get_data(as_text=True)
    assert "四亩地村第1网格" in page and "城南社区" not in page
    assert "2 户" in page


def test_worker_lists_only_their_grids(client, auth, county):
    auth.login("worker_a")
    page = client.get("/households/").get_data(as_text=True)
    assert "3 户" in page and "第2网格" not in page


def test_search_by_door_label_and_phone_digits(client, auth, county):
    auth.login("admin")
    label = county.households_b[0].door_label
    assert label in client.get(f"/households/?q={label}").get_data(as_text=True)
    assert "6 户" in client.get("/households/?q=13812345678").get_data(as_text=True)


def test_official_adds_a_household(app, client, auth, county):
    auth.login("official_a")
    response = client.post("/households/new", data={
        "grid_code": "610923100001002", "door_label": "9组9号", "head_name": "王强", "phone": "139 0000 1111",
        "members": "4", "elderly_alone": "y"})
    assert response.status_code == 302
    with app.app_context():
        household = db.session.scalar(sa.select(Household).where(Household.door_label == "9组9号"))
        assert household.phone == "13900001111" and household.elderly_alone and household.members == 4
        assert count_of("610923100001002") == 2


def test_official_cannot_add_into_another_township(app, client, auth, county):
    auth.login("official_a")
    response = client.post("/households/new", data={"grid_code": "610923101001001", "door_label": "9组9号",
                                                     "members": "1"})
    assert response.status_code == 400
    assert "未知的网格编码" in response.get_data(as_text=True)
    with app.app_context():
        assert count_of("610923101") == 2


def test_bad_household_form_changes_nothing(app, client, auth, county):
    auth.login("official_a")
    response = client.post("/households/new", data={"grid_code": "610923100001002", "door_label": "9组9号",
                                                     "phone": "12345", "members": "2"})
    assert response.status_code == 400
    assert "不是有效的手机号" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Household)) == 6


def test_official_edits_and_moves_a_household(app, client, auth, county):
    auth.login("official_a")
    household_id = county.households_a[0].id
    response = client.post(f"/households/{household_id}/edit", data={
        "grid_code": "610923100001002", "door_label": "新门牌", "members": "2"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Household, household_id).door_label == "新门牌"
        assert count_of("610923100001001") == 2 and count_of("610923100001002") == 2


def test_official_deletes_a_household(app, client, auth, county):
    auth.login("official_a")
    assert client.post(f"/households/{county.households_a[0].id}/delete").status_code == 302
    with app.app_context():
        assert count_of("610923100") == 3


@pytest.mark.parametrize("method, path", [
    ("get", "/households/{id}"), ("get", "/households/{id}/edit"), ("post", "/households/{id}/edit"),
    ("post", "/households/{id}/delete"),
])
def test_household_of_another_township_is_404(app, client, auth, county, method, path):
    url = path.format(id=county.households_b[0].id)
    assert getattr(client, method)(url).status_code == 302  # anonymous: to the log-in page
    auth.login("official_a")
    assert getattr(client, method)(url).status_code == 404
    auth.logout()
    auth.login("worker_a")
    assert getattr(client, method)(url).status_code in (403, 404)
    with app.app_context():
        assert db.session.get(Household, county.households_b[0].id) is not None


@pytest.mark.parametrize("method, url", [
    ("get", "/households/new"), ("post", "/households/new"), ("get", "/households/import"),
    ("post", "/households/import"),
])
def test_workers_do_not_change_the_roster(client, auth, county, method, url):
    assert getattr(client, method)(url).status_code == 302
    auth.login("worker_a")
    assert getattr(client, method)(url).status_code == 403


def test_list_for_an_area_outside_scope_is_404(client, auth, county):
    auth.login("official_a")
    assert client.get("/households/?area=610923101").status_code == 404
    assert client.get("/households/?area=610923100").status_code == 200


def test_viewing_full_personal_data_is_audited(app, client, auth, county):
    auth.login("official_a")
    client.post(f"/households/{county.households_a[0].id}/reveal")
    auth.logout()
    auth.login("admin")
    page = client.get("/audit/?subject=household").get_data(as_text=True)
    assert county.households_a[0].door_label in page and "查看完整信息" in page  # the audit log reads in words
