"""Personal data of households (PIPL): audited views, guarded phone search, no-store, encryption at
rest, the right of access and erasure."""
import json

import pytest
import sqlalchemy as sa

from campaign import create_app
from campaign.areas.models import Area
from campaign.audit.models import AuditEntry
from campaign.core import crypto
from campaign.extensions import db, limiter
from campaign.households.importer import import_households
from campaign.households.models import Household

from . import factories
from .conftest import _test_config

PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    with app.app_context():
        limiter.reset()


def entries(app, action=None) -> list[AuditEntry]:
    with app.app_context():
        query = sa.select(AuditEntry).where(AuditEntry.subject == "household").order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return list(db.session.scalars(query))


# --- every full view is audited ----------------------------------------------------------------

def test_opening_the_edit_page_leaves_an_audit_entry(app, client, auth, county):
    household = county.households_a[0]
    auth.login("official_a")
    assert client.get(f"/households/{household.id}/edit").status_code == 200
    [entry] = entries(app, "view")
    assert entry.subject_id == household.id and entry.area_code == "610923100001001"
    assert entry.user_id == county.official_a.id and entry.at is not None
    assert entry.changes["shown"][1] == "head_name, phone" and entry.changes["via"][1] == "edit page"
    assert entry.changes["address"][1] == "127.0.0.1"
    assert PHONE not in json.dumps(entry.changes)


def test_the_household_page_is_masked_and_showing_the_phone_is_audited(app, client, auth, county):
    household = county.households_a[0]
    auth.login("worker_a")
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "138****5678" in page and PHONE not in page
    assert entries(app) == []
    page = client.post(f"/households/{household.id}/reveal").get_data(as_text=True)
    assert PHONE in page
    [entry] = entries(app, "view")
    assert entry.user_id == county.worker_a.id and entry.changes["via"][1] == "household page"


# --- phone search ------------------------------------------------------------------------------

def test_phone_search_with_six_digits_is_refused_with_a_message(app, client, auth, county):
    auth.login("admin")
    page = client.get("/households/?q=345678").get_data(as_text=True)
    assert "至少7位" in page or "at least 7 digits" in page
    assert "0 户" in page
    assert entries(app, "search") == []


def test_phone_search_by_the_whole_number_finds_it_and_is_audited_masked(app, client, auth, county):
    auth.login("admin")
    assert "6 户" in client.get("/households/?q=138 1234 5678").get_data(as_text=True)
    [entry] = entries(app, "search")
    assert entry.changes["phone"][1] == "138****5678"
    assert PHONE not in json.dumps(entry.changes) and entry.area_code == "610923"


@pytest.mark.parametrize("digits", ["2345678", "1381234567", "8123456", "1381234"])
def test_partial_numbers_find_nothing_so_digits_cannot_be_enumerated(client, auth, county, digits):
    auth.login("admin")
    assert "0 户" in client.get(f"/households/?q={digits}").get_data(as_text=True)


def test_the_31st_phone_search_in_an_hour_answers_429(app, client, auth, county):
    auth.login("official_a")
    for n in range(30):
        assert client.get(f"/households/?q=1390000{n:04d}").status_code == 200
    refused = client.get("/households/?q=13900009999")
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)  # Chinese once the lead merges /tmp/po/pii.po
    assert 'lang="zh-CN"' in page and ("电话搜索次数过多" in page or "Too many searches by phone number" in page)
    assert client.get("/households/?q=1组").status_code == 200  # other searches go on
    assert len(entries(app, "search")) == 30
    auth.logout()
    auth.login("official_b")  # the limit is per person
    assert client.get("/households/?q=13900009999").status_code == 200


# --- no-store ----------------------------------------------------------------------------------

@pytest.mark.parametrize("method, url, user", [
    ("get", "/households/", "official_a"), ("get", "/households/?q=13812345678", "official_a"),
    ("get", "/households/{id}", "official_a"), ("post", "/households/{id}/reveal", "official_a"),
    ("get", "/households/{id}/edit", "official_a"), ("get", "/households/{id}/erase", "official_a"),
    ("get", "/households/{id}/access.json", "official_a"), ("get", "/households/{id}/access.xlsx", "official_a"),
    ("get", "/visits/", "worker_a"), ("get", "/api/v1/walklist?grid=610923100001001&round={round}", "worker_a"),
])
def test_pages_with_personal_data_are_not_stored(app, client, auth, county, method, url, user):
    with app.app_context():
        round_id = factories.RoundFactory(area=db.session.get(Area, county.root.id)).id
        db.session.commit()
    auth.login(user)
    response = getattr(client, method)(url.format(id=county.households_a[0].id, round=round_id))
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize("url", ["/rounds/", "/coverage/610923100", "/areas/610923100"])
def test_pages_without_personal_data_may_be_cached(client, auth, county, url):
    auth.login("official_a")
    response = client.get(url)
    assert response.status_code == 200 and "no-store" not in response.headers.get("Cache-Control", "")


# --- encryption at rest ------------------------------------------------------------------------

def test_the_phone_column_holds_no_plain_digits_yet_the_app_shows_and_finds_it(app, client, auth, county):
    with app.app_context():
        raw = db.session.execute(sa.text("SELECT phone, phone_index FROM household")).all()
    assert raw and all(PHONE not in phone and "5678" not in phone and phone.startswith("v1:") for phone, _ in raw)
    assert len({phone for phone, _ in raw}) == len(raw)  # a fresh nonce each time: equal numbers look different
    assert len({index for _, index in raw}) == 1 and PHONE not in raw[0][1]
    auth.login("official_a")
    assert PHONE in client.post(f"/households/{county.households_a[0].id}/reveal").get_data(as_text=True)
    assert "4 户" in client.get(f"/households/?q={PHONE}").get_data(as_text=True)


def test_imported_phones_are_encrypted_and_found(ctx):
    factories.small_county()
    roster = "网格编码,门牌/地址,户主姓名,联系电话\n610923100001002,9组9号,王强,0915-6821234\n"
    report = import_households(roster.encode())
    assert report.ok
    db.session.commit()
    stored = db.session.execute(sa.text("SELECT phone FROM household WHERE door_label = '9组9号'")).scalar()
    assert "6821234" not in stored
    household = db.session.scalar(sa.select(Household).where(Household.door_label == "9组9号"))
    assert household.phone == "0915-6821234"
    from campaign.households.privacy import apply_search, parse_search

    found = db.session.scalars(apply_search(sa.select(Household), parse_search("09156821234"))).all()
    assert [h.id for h in found] == [household.id]


def test_a_wrong_key_stops_the_app_with_a_clear_message(app, county, database_url):
    config = _test_config(database_url) | {"PERSONAL_DATA_KEY": "A" * 43 + "="}
    with pytest.raises(crypto.PersonalDataKeyError, match="does not match the data"):
        create_app(config)


def test_a_malformed_key_is_refused(database_url):
    with pytest.raises(crypto.PersonalDataKeyError, match="32 random bytes"):
        create_app(_test_config(database_url) | {"PERSONAL_DATA_KEY": "too-short"})


def test_a_missing_key_file_is_not_replaced_while_encrypted_data_exists(app, county, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    app.config["PERSONAL_DATA_KEY"] = None
    with pytest.raises(crypto.PersonalDataKeyError, match="is missing"):
        crypto.load_key(app)
    assert not (tmp_path / crypto.KEY_FILE).exists()


def test_a_key_file_is_made_on_first_start_of_an_empty_database(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    app.config["PERSONAL_DATA_KEY"] = None
    key = crypto.load_key(app)
    assert len(key) == 32 and crypto.load_key(app) == key
    assert oct((tmp_path / crypto.KEY_FILE).stat().st_mode)[-3:] == "600"
