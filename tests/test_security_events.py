"""Security events reach the audit log (等保 2.0 安全审计): who logged in or out and from where, a
failed log-in against a real account, password and second-factor changes, accounts made or changed
by the county office, and the county's security settings. No password ever appears in the log."""
import pyotp
import sqlalchemy as sa

from campaign.audit.models import AuditEntry
from campaign.extensions import db

from .conftest import PASSWORD


def entries(app, **where):
    with app.app_context():
        query = sa.select(AuditEntry).filter_by(**where).order_by(AuditEntry.seq)
        return [(e.action, e.subject, e.subject_id, e.user_id, e.area_code, e.changes)
                for e in db.session.scalars(query)]


def actions(app, user_id):
    return [e[0] for e in entries(app, subject="user", subject_id=user_id)]


def test_log_in_and_log_out_are_audited_with_the_address(app, client, auth, county):
    auth.login("official_a")
    auth.logout()
    logged = entries(app, subject="user", subject_id=county.official_a.id)
    assert [e[0] for e in logged] == ["login", "logout"]
    assert all(e[3] == county.official_a.id and e[4] == "610923100" for e in logged)
    assert logged[0][5]["ip"] == [None, "127.0.0.1"]


def test_a_failed_log_in_against_a_real_account_is_audited(app, client, auth, county):
    auth.login("official_a", "not-the-password")
    auth.login("nobody-at-all", "not-the-password")
    assert actions(app, county.official_a.id) == ["login_failed"]
    assert all("not-the-password" not in str(e) for e in entries(app))


def test_a_password_change_is_audited_without_the_password(app, client, auth, county):
    auth.login("worker_a")
    response = client.post("/account/password", data={"current": PASSWORD, "new": "Another-pass-2",
                                                      "confirm": "Another-pass-2"})
    assert response.status_code == 302
    assert actions(app, county.worker_a.id)[-1] == "password_change"
    assert all("Another-pass-2" not in str(e) for e in entries(app))


def test_an_account_made_and_changed_by_the_office_is_audited(app, client, auth, county):
    auth.login("admin")
    client.post("/users/new", data={"username": "new_worker", "display_name": "李四", "role": "worker",
                                    "grid_codes": "610923100001001", "password": "Initial-pass-9"})
    created = entries(app, subject="user", action="create")
    assert len(created) == 1 and created[0][3] == county.admin.id
    assert created[0][5]["username"] == [None, "new_worker"]
    client.post(f"/users/{county.official_a.id}/edit", data={
        "username": "official_a", "display_name": "新名字", "role": "official", "area_code": "610923101",
        "password": "Reset-by-office-3", "active": "y"})
    (update,) = entries(app, subject="user", action="update", subject_id=county.official_a.id)
    assert update[3] == county.admin.id
    assert update[5]["area"] == ["610923100", "610923101"]
    assert update[5]["password_reset"] == [False, True]
    assert all("Reset-by-office-3" not in str(e) and "Initial-pass-9" not in str(e) for e in entries(app))


def test_second_factor_on_and_the_county_setting_are_audited(app, client, auth, county):
    auth.login("admin")
    client.get("/account/totp")
    with app.app_context():
        from campaign.accounts.models import User
        secret = db.session.get(User, county.admin.id).totp_secret
    client.post("/account/totp", data={"code": pyotp.TOTP(secret).now()})
    assert "totp_on" in actions(app, county.admin.id)
    client.post("/users/security", data={"totp_required": "y"})
    (policy,) = entries(app, subject="security_policy")
    assert policy[5] == {"totp_required": [False, True]} and policy[4] == "610923"


def test_security_events_show_under_their_own_tab_of_the_audit_log(app, client, auth, county):
    auth.login("official_b")
    auth.logout()
    auth.login("admin")
    page = client.get("/audit/?subject=user").get_data(as_text=True)
    entries = page.split('id="audit-entries"')[1]
    assert "登录" in entries and "退出登录" in entries
