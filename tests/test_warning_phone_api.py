"""Warnings worked on the grid worker's phone (issue 14): the worker's warnings with the whole phone (its
first showing audited, not every poll), attempts and closings sent back item by item and idempotently,
and a warning matched to its household through the phone's blind index without showing officials the
register."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from campaign.audit.models import AuditEntry
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.households.services import delete_household
from campaign.warnings import services
from campaign.warnings.importer import import_warnings
from campaign.warnings.models import FraudWarning, Level, WarningAttempt, WarningOutcome

from . import factories

PHONE = "13911112222"
HEADER = "村(社区)或网格代码,居民,电话,预警等级,接收时间,来源,预警编号\n"


def at(minutes: float = 0) -> str:
    """A time ``minutes`` from now (negative: ago), as the phone sends it (with the county's offset)."""
    return (datetime.now(UTC) + timedelta(minutes=minutes)).astimezone().isoformat()


def attempt(warning_id: int, *, minutes: float = -5, kind: str = "phone", result: str = "未接", **extra) -> dict:
    return {"uuid": str(uuid.uuid4()), "warning_id": warning_id, "type": "attempt", "at": at(minutes),
            "kind": kind, "result": result, **extra}


def closing(warning_id: int, *, outcome: str = "dissuaded", loss="1200.50", minutes: float = -1, **extra) -> dict:
    return {"uuid": str(uuid.uuid4()), "warning_id": warning_id, "type": "close", "at": at(minutes),
            "outcome": outcome, "loss_prevented": loss, **extra}


def new_warning(c, *, phone: str = PHONE, worker=None, hours_ago: float = 1, area=None, level=Level.HIGH):
    warning = services.create_warning(area=area or c.village_a, resident="王某某", level=level, phone=phone,
                                      received_at=utcnow() - timedelta(hours=hours_ago), user=c.official_a)
    if worker is not None:
        services.assign(warning, worker=worker, user=c.official_a)
    return warning


@pytest.fixture
def phoned(app):
    """Township A's first household registered with PHONE; a warning about that number, assigned to worker_a."""
    with app.app_context():
        c = factories.small_county()
        c.households_a[0].phone = PHONE
        c.households_a[0].head_name = "李建国"
        warning = new_warning(c, worker=c.worker_a)
        db.session.commit()
        return SimpleNamespace(warning=warning.id, household=c.households_a[0].id,
                               door=c.households_a[0].door_label, worker_a=c.worker_a.id, worker_b=c.worker_b.id)


def send(client, *actions):
    return client.post("/api/v1/warnings/actions", json={"actions": list(actions)})


def english(client, auth, username: str) -> None:
    auth.login(username)
    client.post("/lang/en")


def phone_views(warning_id: int) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.subject == "warning", AuditEntry.subject_id == warning_id, AuditEntry.action == "view")))


# --- GET /api/v1/warnings ----------------------------------------------------------------------

def test_the_worker_gets_their_warning_with_the_whole_phone_and_its_household(client, auth, phoned):
    auth.login("worker_a")
    response = client.get("/api/v1/warnings")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    [item] = response.get_json()["warnings"]
    assert item["id"] == phoned.warning and item["phone"] == PHONE and item["level"] == "high"
    assert item["household"] == {"id": phoned.household, "door_label": phoned.door,
                                 "grid_name": "城南社区第1网格", "head": "李**"}
    assert item["received_at"].endswith("+00:00") and item["closed_at"] is None and item["attempts"] == []
    assert item["area_name"] == "城南社区" and item["reference"].startswith("YJ")


def test_open_warnings_soonest_deadline_first_and_those_closed_in_the_last_day(app, client, auth, phoned):
    with app.app_context():
        c = SimpleNamespace(
            village_a=db.session.scalar(sa.select(factories.Area).where(factories.Area.code == "610923100001")),
            official_a=db.session.scalar(sa.select(factories.User).where(factories.User.username == "official_a")))
        worker = db.session.get(factories.User, phoned.worker_a)
        low = new_warning(c, phone="", worker=worker, level=Level.LOW)
        old = new_warning(c, phone="", worker=worker, hours_ago=30)
        services.close(old, outcome=WarningOutcome.FALSE_ALARM, loss_prevented=0, user=worker)
        old.closed_at = utcnow() - timedelta(hours=25)
        recent = new_warning(c, phone="13700001111", worker=worker, level=Level.MEDIUM)
        services.close(recent, outcome=WarningOutcome.FALSE_ALARM, loss_prevented=0, user=worker)
        new_warning(c, phone="")  # not assigned
        db.session.commit()
        ids = [phoned.warning, recent.id, low.id]
    auth.login("worker_a")
    warnings = client.get("/api/v1/warnings").get_json()["warnings"]
    assert [w["id"] for w in warnings] == ids
    assert warnings[1]["outcome"] == "false_alarm" and warnings[1]["phone"] is None  # closed: no call to make


def test_officials_get_403_and_anonymous_401(client, auth, phoned):
    assert client.get("/api/v1/warnings").status_code == 401
    auth.login("official_a")
    response = client.get("/api/v1/warnings")
    assert response.status_code == 403 and "grid workers" in response.get_json()["error"]


def test_a_worker_of_the_other_township_gets_none_of_them(client, auth, phoned):
    auth.login("worker_b")
    assert client.get("/api/v1/warnings").get_json() == {"warnings": []}
    body = send(client, attempt(phoned.warning)).get_json()
    assert body["results"][0]["code"] == "not_yours"


def test_the_whole_phone_shown_is_audited_once_not_at_every_poll(app, client, auth, phoned):
    auth.login("worker_a")
    for _ in range(3):
        client.get("/api/v1/warnings")
    with app.app_context():
        [entry] = phone_views(phoned.warning)
        assert entry.changes["via"][1] == "phone" and entry.user_id == phoned.worker_a
    client.get(f"/warnings/{phoned.warning}")  # the page audits each showing, as before
    client.get("/api/v1/warnings")
    with app.app_context():
        assert len(phone_views(phoned.warning)) == 2


# --- POST /api/v1/warnings/actions -------------------------------------------------------------

def test_an_attempt_is_created_then_duplicate_then_conflict(app, client, auth, phoned):
    english(client, auth, "worker_a")
    item = attempt(phoned.warning, kind="face", result="已见面劝阻")
    response = send(client, item)
    assert response.status_code == 200
    assert response.get_json() == {"results": [{"uuid": item["uuid"], "status": "created",
                                                "warning_id": phoned.warning}],
                                   "summary": {"created": 1, "duplicate": 0, "conflict": 0, "rejected": 0}}
    again = send(client, item)
    assert again.status_code == 200 and again.get_json()["results"][0]["status"] == "duplicate"
    changed = send(client, {**item, "result": "改了"})
    result = changed.get_json()["results"][0]
    assert changed.status_code == 409 and result["status"] == "conflict" and result["code"] == "conflict"
    assert "different content" in result["reason"]
    with app.app_context():
        warning = db.session.get(FraudWarning, phoned.warning)
        [logged] = warning.attempts
        assert logged.uuid == item["uuid"] and logged.result == "已见面劝阻" and logged.user_id == phoned.worker_a
        assert warning.first_face_at == logged.at and logged.time_trusted
    served = client.get("/api/v1/warnings").get_json()["warnings"][0]
    assert served["attempts"][0]["uuid"] == item["uuid"] and served["first_face_at"]


def test_a_phone_attempt_does_not_count_as_meeting_face_to_face(app, client, auth, phoned):
    auth.login("worker_a")
    send(client, attempt(phoned.warning, kind="phone"))
    with app.app_context():
        assert db.session.get(FraudWarning, phoned.warning).first_face_at is None


def test_close_after_an_attempt_in_the_same_batch_and_its_resend_is_a_duplicate(app, client, auth, phoned):
    english(client, auth, "worker_a")
    tried, closed = attempt(phoned.warning, minutes=-10), closing(phoned.warning, result="已劝阻，未转账")
    response = send(client, tried, closed)
    assert response.status_code == 200, response.get_json()
    with app.app_context():
        warning = db.session.get(FraudWarning, phoned.warning)
        assert warning.outcome.value == "dissuaded" and str(warning.loss_prevented) == "1200.50"
        assert abs((warning.closed_at - datetime.fromisoformat(closed["at"])).total_seconds()) < 1
        assert warning.close_uuid == closed["uuid"]
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "close"))
        assert entry.reason == "已劝阻，未转账" and entry.user_id == phoned.worker_a
    again = send(client, closed, tried)
    assert again.status_code == 200 and [r["status"] for r in again.get_json()["results"]] == ["duplicate"] * 2
    late = send(client, attempt(phoned.warning))
    result = late.get_json()["results"][0]
    assert late.status_code == 400 and (result["code"], result["mendable"]) == ("closed", False)
    other_close = send(client, closing(phoned.warning, outcome="lost"))
    assert other_close.get_json()["results"][0]["code"] == "closed"


def test_closing_without_an_attempt_asks_for_one_first(app, client, auth, phoned):
    english(client, auth, "worker_a")
    item = closing(phoned.warning)
    result = send(client, item).get_json()["results"][0]
    assert (result["status"], result["code"], result["mendable"]) == ("rejected", "no_attempt", True)
    assert "before closing" in result["reason"]
    assert send(client, attempt(phoned.warning), item).status_code == 200  # mended: the same uuid goes through


def test_only_the_assigned_worker_acts_on_a_warning(app, client, auth, phoned):
    with app.app_context():
        worker_a = db.session.get(factories.User, phoned.worker_a)
        factories.UserFactory(username="worker_a2", grids=[worker_a.grids[0]])
        db.session.commit()
    english(client, auth, "worker_a2")
    response = send(client, attempt(phoned.warning), attempt(10**6))
    results = response.get_json()["results"]
    assert response.status_code == 400 and [r["code"] for r in results] == ["not_yours"] * 2
    assert results[0]["mendable"] is False and "not assigned to you" in results[0]["reason"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WarningAttempt)) == 0


def test_someone_elses_uuid_is_a_conflict_not_a_duplicate(app, client, auth, phoned):
    auth.login("worker_a")
    item = attempt(phoned.warning)
    send(client, item)
    auth.logout()
    auth.login("worker_b")
    assert send(client, item).get_json()["results"][0]["status"] == "conflict"


def test_a_time_before_the_warning_is_mendable(app, client, auth, phoned):
    english(client, auth, "worker_a")
    item = attempt(phoned.warning, minutes=-180)
    result = send(client, item).get_json()["results"][0]
    assert (result["code"], result["mendable"]) == ("bad_time", True) and "Correct the time" in result["reason"]
    assert send(client, {**item, "at": at(-3)}).status_code == 200


def test_a_future_time_is_kept_as_the_phones_and_replaced_by_the_server_time(app, client, auth, phoned):
    auth.login("worker_a")
    ahead = at(90)
    response = send(client, attempt(phoned.warning, kind="face", minutes=90, clock_offset_ms=-5_400_000))
    assert response.status_code == 200
    with app.app_context():
        [logged] = db.session.get(FraudWarning, phoned.warning).attempts
        assert abs((logged.at - utcnow()).total_seconds()) < 60 and not logged.time_trusted
        assert abs((logged.phone_time - datetime.fromisoformat(ahead)).total_seconds()) < 5
        assert logged.clock_offset_ms == -5_400_000


def test_the_phone_clock_reading_and_trust_are_stored(app, client, auth, phoned):
    auth.login("worker_a")
    item = attempt(phoned.warning, phone_time=at(-7), clock_offset_ms=120_000, time_trusted=False)
    assert send(client, item).status_code == 200
    with app.app_context():
        [logged] = db.session.get(FraudWarning, phoned.warning).attempts
        assert logged.phone_time is not None and logged.clock_offset_ms == 120_000 and not logged.time_trusted


@pytest.mark.parametrize("change", [
    {"kind": "video"}, {"at": "2026-01-01T10:00:00"}, {"at": 1700000000}, {"warning_id": "1"}, {"type": "delete"},
    {"result": "长" * 301}, {"colour": "red"}, {"type": "close", "outcome": "dissuaded", "loss_prevented": "-5"},
    {"type": "close", "outcome": "dissuaded", "loss_prevented": True}, {"uuid": "not-a-uuid"},
])
def test_malformed_actions_are_rejected_with_a_reason_never_500(app, client, auth, phoned, change):
    english(client, auth, "worker_a")
    item = {**attempt(phoned.warning), **change}
    if item["type"] == "close":
        item.pop("kind")
        item.pop("result")
    response = send(client, item, attempt(phoned.warning))
    results = response.get_json()["results"]
    assert response.status_code == 400 and [r["status"] for r in results] == ["rejected", "created"]
    assert (results[0]["code"], results[0]["mendable"]) == ("invalid", False)
    assert "cannot be read" in results[0]["reason"]


@pytest.mark.parametrize("raw", ["{not json", "[1]", '{"actions": []}', '{"actions": "all"}', '{"items": [1]}'])
def test_bad_bodies_get_400_json(client, auth, phoned, raw):
    auth.login("worker_a")
    response = client.post("/api/v1/warnings/actions", data=raw, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"]


def test_officials_cannot_post_actions(client, auth, phoned):
    auth.login("official_a")
    assert send(client, attempt(phoned.warning)).status_code == 403


def test_actions_need_the_csrf_header_like_visits(app, phoned):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"username": "worker_a", "password": factories.PASSWORD, "csrf_token": token})
    item = attempt(phoned.warning)
    refused = send(client, item)
    assert refused.status_code == 400 and "CSRF" in refused.get_json()["error"]
    fresh = client.get("/api/v1/session").get_json()["csrf_token"]
    accepted = client.post("/api/v1/warnings/actions", json={"actions": [item]}, headers={"X-CSRFToken": fresh})
    assert accepted.status_code == 200


# --- matching a warning to its household -------------------------------------------------------

def test_one_household_with_the_number_links_the_warning_and_proposes_the_grids_worker(ctx):
    c = factories.small_county()
    c.households_a[1].phone = "139-1111-2222"  # typed otherwise, the same number
    warning = new_warning(c)
    assert warning.household is c.households_a[1] and warning.matched_grid is c.grid_a1
    create = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "create",
                                                           AuditEntry.subject == "warning"))
    assert create.changes["household_id"][1] == c.households_a[1].id


def test_no_household_with_the_number_proposes_nobody(ctx):
    c = factories.small_county()
    warning = new_warning(c, phone="13700000000")
    assert warning.household is None and warning.matched_grid is None


def test_households_of_several_grids_with_the_number_propose_nobody(ctx):
    c = factories.small_county()
    c.households_a[0].phone = c.households_a[3].phone = PHONE  # grids a1 and a2
    warning = new_warning(c)
    assert warning.household is None and warning.matched_grid is None


def test_several_households_of_one_grid_propose_its_worker_without_choosing_a_household(ctx):
    c = factories.small_county()
    c.households_a[0].phone = c.households_a[1].phone = PHONE
    c.households_b[0].phone = PHONE  # another township: not looked at
    warning = new_warning(c)
    assert warning.household is None and warning.matched_grid is c.grid_a1


def test_imported_warnings_are_matched_and_re_matched_when_their_number_changes(ctx):
    c = factories.small_county()
    c.households_a[0].phone = PHONE
    c.households_a[3].phone = "13622223333"
    data = (HEADER + f"610923100001,王某某,{PHONE},高,2026-01-05 09:30,市反诈中心,YJ1\n"
                     "610923100001,李某,13700000000,低,2026-01-05 10:00,,YJ2\n").encode()
    assert import_warnings(data, user=c.official_a).rows == 2
    first, second = (db.session.scalar(sa.select(FraudWarning).where(FraudWarning.reference == r))
                     for r in ("YJ1", "YJ2"))
    assert first.household is c.households_a[0] and second.household is None and second.matched_grid is None
    changed = data.replace(PHONE.encode(), b"13622223333")
    import_warnings(changed, user=c.official_a)
    db.session.refresh(first)
    assert first.household is c.households_a[3] and first.matched_grid is c.grid_a2
    update = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "update",
                                                           AuditEntry.subject == "warning"))
    assert update.changes["household_id"] == [c.households_a[0].id, c.households_a[3].id]


def test_a_matched_household_can_still_be_deleted(ctx):
    c = factories.small_county()
    c.households_a[0].phone = PHONE
    warning = new_warning(c)
    delete_household(c.households_a[0])
    db.session.commit()
    assert db.session.get(FraudWarning, warning.id).household_id is None


def test_the_official_sees_whom_to_assign_but_not_the_household(app, client, auth, phoned):
    with app.app_context():  # unassigned, so that the proposal shows
        db.session.get(FraudWarning, phoned.warning).assigned_to_id = None
        db.session.commit()
    english(client, auth, "official_a")
    page = client.get(f"/warnings/{phoned.warning}").get_data(as_text=True)
    assert "Suggested: worker_a (the number matches a household in their grid)" in page
    assert phoned.door not in page and "李**" not in page and 'id="warning-household"' not in page
    listed = client.get("/warnings/").get_data(as_text=True)
    assert "Suggested worker" in listed and phoned.door not in listed
    response = client.post(f"/warnings/{phoned.warning}/assign", data={"assign-worker": phoned.worker_a})
    assert response.status_code == 302
    after = client.get(f"/warnings/{phoned.warning}").get_data(as_text=True)
    assert "Suggested:" not in after and phoned.door not in after


def test_the_one_click_assign_form_carries_the_csrf_token_and_the_worker(app, client, auth, phoned):
    with app.app_context():
        db.session.get(FraudWarning, phoned.warning).assigned_to_id = None
        db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"username": "official_a", "password": factories.PASSWORD, "csrf_token": token})
    page = client.get(f"/warnings/{phoned.warning}").get_data(as_text=True)
    form = page.split('id="warning-proposals"')[1].split("</form>")[0]
    fields = dict(part.split('" value="') for part in
                  (field.split('name="')[1].split('">')[0] for field in form.split("<input")[1:]))
    assert fields["assign-worker"] == str(phoned.worker_a)
    assert client.post(f"/warnings/{phoned.warning}/assign", data=fields).status_code == 302
    with app.app_context():
        assert db.session.get(FraudWarning, phoned.warning).assigned_to_id == phoned.worker_a


def test_the_assigned_worker_sees_the_household_on_the_warning_page(client, auth, phoned):
    auth.login("worker_a")
    page = client.get(f"/warnings/{phoned.warning}").get_data(as_text=True)
    household = page.split('id="warning-household">')[1].split("</dd>")[0]
    assert phoned.door in household and "城南社区第1网格" in household and "李**" in household
    assert "李建国" not in page


def test_a_worker_outside_the_households_grid_does_not_see_it(app, client, auth, phoned):
    with app.app_context():
        grid_a2 = db.session.scalar(sa.select(factories.Area).where(factories.Area.code == "610923100001002"))
        factories.UserFactory(username="worker_a2", grids=[grid_a2])
        warning = db.session.get(FraudWarning, phoned.warning)
        warning.assigned_to = db.session.scalar(sa.select(factories.User).where(
            factories.User.username == "worker_a2"))
        db.session.commit()
    auth.login("worker_a2")
    assert client.get("/api/v1/warnings").get_json()["warnings"][0]["household"] is None
    assert phoned.door not in client.get(f"/warnings/{phoned.warning}").get_data(as_text=True)

