"""Two-step log-in (TOTP): set up, log in with a code, no replay, required by the county."""
import time

import pyotp
import sqlalchemy as sa

from campaign.accounts.models import User
from campaign.extensions import db

from .conftest import PASSWORD


def code(secret, steps_ahead=0):
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def switch_on(app, username):
    """Two-step log-in on for this user, straight in the database; returns the secret."""
    secret = pyotp.random_base32()
    with app.app_context():
        db.session.execute(sa.update(User).where(User.username == username).values(
            totp_secret=secret, totp_enabled=True, totp_last_step=None))
        db.session.commit()
    return secret


def test_setting_up_shows_a_qr_and_the_key_and_needs_one_code(app, client, auth, county):
    auth.login("admin")
    page = client.get("/account/totp").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page  # drawn inline: no request leaves the page
    with app.app_context():
        secret = db.session.scalar(sa.select(User.totp_secret).where(User.username == "admin"))
    assert secret in page
    assert client.post("/account/totp", data={"code": "000000"}).status_code == 400
    assert client.post("/account/totp", data={"code": code(secret)}).status_code == 302
    assert client.get("/").status_code == 200, "this session carries on"
    with app.app_context():
        assert db.session.scalar(sa.select(User.totp_enabled).where(User.username == "admin"))


def test_log_in_takes_the_password_then_the_code(app, client, auth, county):
    secret = switch_on(app, "admin")
    response = auth.login("admin")
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    assert client.get("/").status_code == 302, "the password alone does not log in"
    assert client.post("/login/code", data={"code": "123456"}).status_code == 400
    assert client.post("/login/code", data={"code": code(secret)}).status_code == 302
    assert client.get("/").status_code == 200


def test_a_used_code_cannot_be_replayed(app, county):
    secret = switch_on(app, "admin")
    used = code(secret)
    first, second = app.test_client(), app.test_client()
    for browser in (first, second):
        browser.post("/login", data={"username": "admin", "password": PASSWORD})
    assert first.post("/login/code", data={"code": used}).status_code == 302
    assert second.post("/login/code", data={"code": used}).status_code == 400
    assert second.get("/").status_code == 302


def test_wrong_codes_are_rate_limited(app, client, auth, county):
    secret = switch_on(app, "admin")
    auth.login("admin")
    for _ in range(5):
        client.post("/login/code", data={"code": "000000"})
    response = client.post("/login/code", data={"code": code(secret)})
    assert response.status_code == 400 and "登录失败次数过多" in response.get_data(as_text=True)


def test_the_code_step_is_not_reachable_without_the_password(client, county):
    assert client.get("/login/code").headers["Location"] == "/login"


def test_turning_off_needs_the_password_and_a_code(app, client, auth, county):
    secret = switch_on(app, "worker_a")
    auth.login("worker_a")
    client.post("/login/code", data={"code": code(secret)})
    assert client.post("/account/totp/disable", data={"password": "Wrong-pass-1",
                                                       "code": code(secret, 1)}).status_code == 400
    assert client.post("/account/totp/disable", data={"password": PASSWORD, "code": code(secret, 1)}).status_code == 302
    with app.app_context():
        assert not db.session.scalar(sa.select(User.totp_enabled).where(User.username == "worker_a"))


def test_the_county_can_require_it_for_the_county_office(app, client, auth, county):
    auth.login("admin")
    assert client.post("/users/security", data={"totp_required": "y"}).status_code == 302
    for path in ("/", "/users/"):
        assert client.get(path).headers["Location"] == "/account/totp"
    assert client.get("/api/v1/session").status_code == 403
    assert client.get("/account/totp").status_code == 200
    auth.logout()
    auth.login("official_a")  # officials are not concerned
    assert client.get("/").status_code == 200


def test_a_required_second_factor_cannot_be_turned_off(app, client, auth, county):
    secret = switch_on(app, "admin")
    auth.login("admin")
    client.post("/login/code", data={"code": code(secret)})
    client.post("/users/security", data={"totp_required": "y"})
    assert client.get("/").status_code == 200
    response = client.post("/account/totp/disable", data={"password": PASSWORD, "code": code(secret, 1)})
    assert response.status_code == 400


def test_the_county_office_removes_a_lost_second_factor(app, client, auth, county):
    switch_on(app, "worker_a")
    auth.login("admin")
    client.post(f"/users/{county.worker_a.id}/edit", data={
        "username": "worker_a", "role": "worker", "grid_codes": "610923100001001", "active": "y",
        "remove_totp": "y"})
    auth.logout()
    assert auth.login("worker_a").headers["Location"] == "/"


def test_the_secret_is_sealed_in_the_database_and_still_logs_in(app, client, auth, county):
    secret = switch_on(app, "admin")
    with app.app_context():
        raw = db.session.execute(sa.text('SELECT totp_secret FROM "user" WHERE username = :u'),
                                 {"u": "admin"}).scalar_one()
    assert secret not in raw and raw.startswith("v1:")
    auth.login("admin")
    assert client.post("/login/code", data={"code": code(secret)}).status_code == 302
    assert client.get("/").status_code == 200
