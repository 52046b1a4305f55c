"""Sessions end when they should: log-out, password change or reset, deactivation, idle time."""
import time
from datetime import timedelta

import sqlalchemy as sa

from campaign import create_app
from campaign.accounts.models import User
from campaign.extensions import db

from .conftest import PASSWORD, _test_config

NEW_PASSWORD = "Another-pass-7"


def log_in(app, username, remember=False):
    client = app.test_client()
    data = {"username": username, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302
    return client


def captured(app, client, name):
    """A second browser holding a copy of one of this client's cookies."""
    thief = app.test_client()
    thief.set_cookie(name, client.get_cookie(name).value)
    assert thief.get("/").status_code == 200, "the copied cookie should work before"
    return thief


def ended(thief):
    response = thief.get("/")
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_log_out_ends_a_copied_session_cookie(app, county):
    owner = log_in(app, "admin")
    thief = captured(app, owner, "session")
    owner.post("/logout")
    assert ended(thief)


def test_log_out_ends_a_copied_remember_cookie(app, county):
    owner = log_in(app, "worker_a", remember=True)
    thief = captured(app, owner, "remember_token")
    owner.post("/logout")
    assert ended(thief)


def test_password_change_ends_other_sessions_but_not_this_one(app, county):
    owner = log_in(app, "worker_a", remember=True)
    session_thief, remember_thief = captured(app, owner, "session"), captured(app, owner, "remember_token")
    response = owner.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                     "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert ended(session_thief) and ended(remember_thief)
    assert owner.get("/").status_code == 200
    again = app.test_client()
    assert again.post("/login", data={"username": "worker_a", "password": PASSWORD}).status_code == 400
    assert again.post("/login", data={"username": "worker_a", "password": NEW_PASSWORD}).status_code == 302


def test_reset_by_the_county_office_ends_the_users_sessions(app, county):
    owner = log_in(app, "worker_a", remember=True)
    session_thief, remember_thief = captured(app, owner, "session"), captured(app, owner, "remember_token")
    office = log_in(app, "admin")
    response = office.post(f"/users/{county.worker_a.id}/edit", data={
        "username": "worker_a", "role": "worker", "grid_codes": "610923100001001", "active": "y",
        "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert ended(owner) and ended(session_thief) and ended(remember_thief)


def test_deactivation_ends_a_copied_remember_cookie(app, county):
    owner = log_in(app, "worker_a", remember=True)
    thief = captured(app, owner, "remember_token")
    office = log_in(app, "admin")
    office.post(f"/users/{county.worker_a.id}/edit", data={
        "username": "worker_a", "role": "worker", "grid_codes": "610923100001001"})  # active unticked
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == county.worker_a.id).values(active=True))
        db.session.commit()
    assert ended(thief), "reactivating the account must not revive old cookies"


def test_remember_cookie_lasts_at_most_30_days(app, county):
    owner = log_in(app, "worker_a", remember=True)
    cookie = owner.get_cookie("remember_token")
    assert cookie.max_age is None or cookie.max_age <= 30 * 86400
    assert cookie.expires is not None
    assert cookie.expires.timestamp() - time.time() <= 30 * 86400 + 60


def test_a_longer_configured_remember_duration_is_capped(database_url, county):
    app = create_app({**_test_config(database_url), "REMEMBER_COOKIE_DURATION": 365 * 86400})
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)


def test_the_secure_setting_covers_the_remember_cookie(database_url, county, monkeypatch):
    monkeypatch.setenv("FLASK_SESSION_COOKIE_SECURE", "true")
    app = create_app(_test_config(database_url))
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    client = app.test_client()
    response = client.post("/login", data={"username": "worker_a", "password": PASSWORD, "remember": "y"},
                           base_url="https://localhost")
    remember = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]
    assert remember and "Secure" in remember[0]


def test_office_log_ins_are_never_remembered(app, county):
    owner = log_in(app, "admin", remember=True)
    assert owner.get_cookie("remember_token") is None


def idle_for(client, minutes):
    with client.session_transaction() as session:
        session["_seen"] = time.time() - minutes * 60


def test_office_session_ends_after_30_idle_minutes(app, county):
    office = log_in(app, "admin")
    idle_for(office, 29)
    assert office.get("/").status_code == 200
    idle_for(office, 31)
    response = office.get("/households/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "households" in response.headers["Location"]  # back there after logging in again
    assert office.get("/").status_code == 302


def test_worker_phone_stays_logged_in_longer_but_not_forever(app, county):
    phone = log_in(app, "worker_a", remember=True)
    idle_for(phone, 6 * 60)
    assert phone.get("/").status_code == 200
    idle_for(phone, 12 * 60 + 1)
    assert phone.get("/").status_code == 302
    assert phone.get_cookie("remember_token") is None, "an idle phone must log in again"


def test_idle_api_call_gets_401_json(app, county):
    phone = log_in(app, "worker_a")
    idle_for(phone, 12 * 60 + 1)
    response = phone.get("/api/v1/session")
    assert response.status_code == 401 and response.is_json and response.json["error"]


def test_idle_limits_are_configurable(database_url, county, monkeypatch):
    monkeypatch.setenv("FLASK_IDLE_MINUTES_OFFICE", "5")
    app = create_app(_test_config(database_url))
    office = log_in(app, "admin")
    idle_for(office, 6)
    assert office.get("/").status_code == 302
