"""Passwords: the strength rule, the user's own change, and the change forced at next log-in."""
import pytest

from campaign.accounts.passwords import check_strength
from campaign.core.errors import DomainError
from campaign.demo.builder import DEMO_PASSWORD

from .conftest import PASSWORD

NEW = "Fresh-start-42"


@pytest.mark.parametrize("password", ["short1A", "lowercaseonly", "lowerand123", "UPPER-ONLY-", "xx-wang-2026",
                                      "XX-WANG-2026"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(DomainError):
        check_strength(password, username="wang")


@pytest.mark.parametrize("password", ["Wuzha@2026", "test-password-1", "Abcdefg1", "密码很长-2026a"])
def test_three_classes_and_eight_characters_pass(password):
    check_strength(password, username="wang")


def test_demo_and_test_passwords_follow_the_rule():
    check_strength(DEMO_PASSWORD, username="admin")
    check_strength(PASSWORD, username="worker_a")


def change(client, current=PASSWORD, new=NEW, confirm=None):
    return client.post("/account/password", data={"current": current, "new": new, "confirm": confirm or new})


def test_the_user_menu_leads_to_the_password_change(client, auth, county):
    auth.login("worker_a")
    assert 'href="/account/"' in client.get("/").get_data(as_text=True)
    assert 'href="/account/password"' in client.get("/account/").get_data(as_text=True)


def test_changing_the_password_needs_the_current_one(client, auth, county):
    auth.login("worker_a")
    assert change(client, current="Wrong-pass-1").status_code == 400
    assert change(client, new="weakweak").status_code == 400
    assert change(client, confirm="Something-else-1").status_code == 400
    assert change(client).status_code == 302
    auth.logout()
    assert auth.login("worker_a", NEW).status_code == 302


def test_a_user_who_must_change_is_sent_to_the_change_page_everywhere(app, client, auth, county):
    auth.login("admin")
    client.post("/users/new", data={"username": "wang", "role": "worker", "password": "A-long-password",
                                    "grid_codes": "610923100001001"})
    auth.logout()
    assert auth.login("wang", "A-long-password").status_code == 302
    for path in ("/", "/households/", "/account/"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/account/password"
    api = client.get("/api/v1/session")
    assert api.status_code == 403 and api.json["error"]
    assert client.get("/account/password").status_code == 200
    assert change(client, current="A-long-password").status_code == 302
    assert client.get("/").status_code == 200


def test_the_app_hashes_passwords_with_scrypt_unless_told_otherwise(tmp_path):
    from campaign import create_app
    from campaign.accounts.models import User

    from .conftest import TEST_PERSONAL_DATA_KEY

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "PERSONAL_DATA_KEY": TEST_PERSONAL_DATA_KEY,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.db'}"})
    with app.app_context():
        user = User(username="someone")
        user.set_password("Long-enough-1")
        assert user.password_hash.startswith("scrypt:") and user.check_password("Long-enough-1")
