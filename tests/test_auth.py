"""Log-in, log-out, throttling, CSRF and session cookies."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from campaign.accounts.models import LoginAttempt, User
from campaign.core.types import utcnow
from campaign.extensions import db

from . import factories


def test_login_page_is_chinese_by_default(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "登录" in response.get_data(as_text=True)


def test_login_and_logout(client, auth, county):
    response = auth.login("admin")
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    auth.logout()
    assert client.get("/").headers["Location"].startswith("/login")


def test_wrong_password_is_refused_with_a_message(client, auth, county):
    response = auth.login("admin", "wrong-password")
    assert response.status_code == 400
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_inactive_user_cannot_log_in(app, client, auth, county):
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == county.worker_a.id).values(active=False))
        db.session.commit()
    assert auth.login("worker_a").status_code == 400


def test_password_is_stored_as_scrypt_hash(ctx):
    admin = factories.small_county().admin
    assert admin.password_hash.startswith("scrypt:")
    assert admin.check_password("test-password-1")


def test_repeated_failures_lock_the_name_even_with_the_right_password(client, auth, county, app):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.login("admin", "nope-nope")
    response = auth.login("admin")
    assert response.status_code == 400
    assert "登录失败次数过多" in response.get_data(as_text=True)
    # another user name from the same address is not locked
    assert auth.login("official_a").status_code == 302


def test_lock_expires_after_the_window(client, auth, county, app):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.login("admin", "nope-nope")
    old = utcnow() - timedelta(seconds=app.config["LOGIN_WINDOW_SECONDS"] + 1)
    with app.app_context():
        db.session.execute(sa.update(LoginAttempt).values(at=old))
        db.session.commit()
    assert auth.login("admin").status_code == 302


def test_failures_before_a_success_do_not_count(client, auth, county, app):
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        auth.login("admin", "nope-nope")
    assert auth.login("admin").status_code == 302
    auth.logout()
    auth.login("admin", "nope-nope")
    assert auth.login("admin").status_code == 302


def test_unknown_names_are_throttled_too(client, auth, county, app):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.login("ghost", "nope-nope")
    assert "登录失败次数过多" in auth.login("ghost", "x").get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client, auth, county, target):
    response = client.post(f"/login?next={target}", data={"username": "admin", "password": "test-password-1"})
    assert response.headers["Location"] == "/"


def test_login_follows_a_local_next(client, county):
    response = client.post("/login?next=/households/", data={"username": "admin", "password": "test-password-1"})
    assert response.headers["Location"] == "/households/"


def test_session_cookie_is_httponly_and_samesite(client, auth, county):
    auth.login("admin")
    cookie = client.get_cookie("session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_forms_need_a_csrf_token(app, county):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    response = client.post("/login", data={"username": "admin", "password": "test-password-1"})
    assert response.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page


def test_logout_needs_post(client, auth, county):
    auth.login("admin")
    assert client.get("/logout").status_code == 405
