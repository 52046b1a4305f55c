"""Log-in, log-out, throttling, timing, CSRF and session cookies."""
import time
from types import SimpleNamespace

import limits.storage.memory
import pytest
import sqlalchemy as sa

from campaign.accounts import models as user_models
from campaign.accounts import passwords
from campaign.accounts.models import LoginAttempt, Role, User
from campaign.extensions import db

from . import factories
from .conftest import PASSWORD

ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
OWNER = {"REMOTE_ADDR": "198.51.100.7"}


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


def test_every_attempt_is_kept_in_the_trail(app, auth, county):
    auth.login("admin", "wrong-password")
    auth.login("admin")
    with app.app_context():
        assert db.session.scalars(sa.select(LoginAttempt.success).order_by(LoginAttempt.id)).all() == [False, True]


def test_inactive_user_cannot_log_in(app, client, auth, county):
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == county.worker_a.id).values(active=False))
        db.session.commit()
    assert auth.login("worker_a").status_code == 400


def test_user_name_is_found_regardless_of_case(client, auth, county):
    assert auth.login("ADMIN").status_code == 302


def test_repeated_failures_slow_that_address_even_with_the_right_password(client, auth, county):
    for _ in range(5):
        auth.login("admin", "nope-nope", environ_base=ATTACKER)
    response = auth.login("admin", environ_base=ATTACKER)
    assert response.status_code == 400
    assert "登录失败次数过多" in response.get_data(as_text=True)
    # another user name from the same address is not locked
    assert auth.login("official_a", environ_base=ATTACKER).status_code == 302


def test_the_owner_logs_in_from_another_address_while_the_attacker_is_throttled(app, auth, county):
    for _ in range(20):
        auth.login("admin", "nope-nope", environ_base=ATTACKER)
    assert "登录失败次数过多" in auth.login("admin", environ_base=ATTACKER).get_data(as_text=True)
    owner = app.test_client()
    assert owner.post("/login", data={"username": "admin", "password": PASSWORD},
                      environ_base=OWNER).status_code == 302


def test_one_address_guessing_many_names_is_throttled(auth, county):
    for n in range(30):
        auth.login(f"name{n}", "nope-nope", environ_base=ATTACKER)
    assert "登录失败次数过多" in auth.login("admin", environ_base=ATTACKER).get_data(as_text=True)
    assert auth.login("admin", environ_base=OWNER).status_code == 302


def test_a_successful_log_in_does_not_reset_the_failure_count(client, auth, county):
    for _ in range(4):
        auth.login("admin", "nope-nope")
    assert auth.login("admin").status_code == 302  # the attacker knows one good password …
    auth.logout()
    auth.login("admin", "nope-nope")  # … and their fifth guess is the last one in the window
    assert "登录失败次数过多" in auth.login("admin").get_data(as_text=True)


def test_address_count_survives_successes_in_between(client, auth, county):
    for n in range(29):
        auth.login(f"name{n}", "nope-nope")
        if n % 4 == 0:
            auth.login("official_a")
            auth.logout()
    auth.login("name99", "nope-nope")
    assert "登录失败次数过多" in auth.login("official_a").get_data(as_text=True)


def test_lock_lifts_after_the_window(app, auth, county, monkeypatch):
    for _ in range(5):
        auth.login("admin", "nope-nope")
    assert auth.login("admin").status_code == 400
    later = time.time() + 15 * 60 + 1
    monkeypatch.setattr(limits.storage.memory, "time", SimpleNamespace(time=lambda: later))
    assert auth.login("admin").status_code == 302


def test_unknown_names_are_throttled_too(client, auth, county):
    for _ in range(5):
        auth.login("ghost", "nope-nope")
    assert "登录失败次数过多" in auth.login("ghost", "x").get_data(as_text=True)


def test_an_unknown_name_costs_a_password_check_too(auth, county, monkeypatch):
    checked = []
    real = passwords.check_password_hash
    monkeypatch.setattr(passwords, "check_password_hash", lambda h, p: checked.append(p) or real(h, p))
    auth.login("ghost", "guess-1")
    assert checked == ["guess-1"]


def test_unknown_and_known_names_cost_the_same_password_check(app, county, monkeypatch):
    """An attacker times the log-in to learn which names exist: an unknown name must cost one check
    against a hash of the same method and parameters (scrypt's n, r, p) as a real user's. Comparing the
    work done, not wall-clock time, keeps the test exact on a loaded machine."""
    app.config["PASSWORD_HASH_METHOD"] = "scrypt"
    with app.app_context():
        admin = db.session.get(User, county.admin.id)
        admin.set_password(PASSWORD)
        db.session.commit()
    checked = []
    real = passwords.check_password_hash
    for module in (passwords, user_models):  # the unknown name's check, and a user's own
        monkeypatch.setattr(module, "check_password_hash",
                            lambda h, p: checked.append(h.rsplit("$", 2)[0]) or real(h, p))

    def attempt(username, n):
        app.test_client().post("/login", data={"username": username, "password": "nope-nope"},
                               environ_base={"REMOTE_ADDR": f"192.0.2.{n + 10}"})

    attempt("ghost", 0)
    attempt("admin", 1)
    assert len(checked) == 2 and checked[0] == checked[1] and checked[0].startswith("scrypt:"), checked


def test_user_names_differing_only_in_case_cannot_both_exist(ctx):
    factories.small_county()
    with pytest.raises(sa.exc.IntegrityError):
        factories.UserFactory(username="Admin", role=Role.WORKER)
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client, auth, county, target):
    response = client.post(f"/login?next={target}", data={"username": "admin", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_login_follows_a_local_next(client, county):
    response = client.post("/login?next=/households/", data={"username": "admin", "password": PASSWORD})
    assert response.headers["Location"] == "/households/"


def test_session_cookie_is_httponly_and_samesite(client, auth, county):
    auth.login("admin")
    cookie = client.get_cookie("session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_forms_need_a_csrf_token(app, county):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page


def test_logout_needs_post(client, auth, county):
    auth.login("admin")
    assert client.get("/logout").status_code == 405
