"""Creation targets: registering them, their life cycle (未启动 → 创建中 → 申请验收 → 已授牌 → 摘牌)
with every step audited, and the review (复核) an incident inside a certified target triggers."""
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from campaign.audit.models import AuditEntry
from campaign.core.clock import local_today
from campaign.core.errors import DomainError
from campaign.creation import services
from campaign.creation.models import Certificate, CreationTarget, TargetKind, TargetStatus
from campaign.events import services as events
from campaign.events.models import EventKind, PublicityEvent
from campaign.extensions import db
from campaign.incidents import services as incidents
from campaign.incidents.importer import import_incidents
from campaign.incidents.models import Incident

from . import factories

S = TargetStatus


# --- helpers --------------------------------------------------------------------------------

def fields(area, kind=TargetKind.COMMUNITY, **values):
    return services.check_fields(kind=kind, area=area, **{"name": "", **values})


def new_target(area, kind=TargetKind.COMMUNITY, *, user=None, **values):
    return services.create_target(area=area, fields=fields(area, kind, **values), user=user)


def new_school(c, name="城关小学", area=None, headcount=500):
    return new_target(area or c.town_a, TargetKind.SCHOOL, name=name, headcount=headcount)


def relax(county, kind=TargetKind.COMMUNITY):
    """In this county only 三无 applies, so a target with no incident meets every criterion."""
    services.set_criteria(county, kind, window_months=12, three_no=True, min_coverage=None, min_install_rate=None,
                          min_events=None, min_face_rate=None)


def incident(village, day=None, *, target=None, kind="case"):
    values = incidents.check_fields(occurred_on=day or local_today(), fraud_type="刷单返利", loss="500",
                                    recovered="0", case_ref="", description="", kind=kind,
                                    target_id=target.id if target else None)
    return incidents.create_incident(village=village, fields=values)


def walk(target, user, *actions, **kwargs):
    result = None
    for action in actions:
        result = services.transition(target, action, user=user, **kwargs)
    return result


def certified(c, target=None, **kwargs):
    relax(c.root, target.kind if target else TargetKind.COMMUNITY)
    target = target or new_target(c.village_a)
    walk(target, c.official_a, "start", "apply", **kwargs)
    services.transition(target, "certify", user=c.admin, **kwargs)
    return target


def entries(target, action=None):
    query = sa.select(AuditEntry).where(AuditEntry.subject == "creation_target", AuditEntry.subject_id == target.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return db.session.scalars(query.order_by(AuditEntry.id)).all()


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- registering targets ---------------------------------------------------------------------

def test_a_community_takes_its_villages_name(ctx):
    c = factories.small_county()
    target = new_target(c.village_a, contact_name="李主任", contact_phone="138 0000 1111", user=c.official_a)
    assert (target.name, target.status, target.headcount) == ("城南社区", S.NOT_STARTED, 0)
    assert target.contact_phone == "13800001111"
    entry = entries(target)[0]
    assert entry.action == "create" and entry.user_id == c.official_a.id and entry.changes["name"] == [None, "城南社区"]


def test_a_community_can_carry_its_own_name(ctx):
    c = factories.small_county()
    assert new_target(c.village_a, name="城南社区示范点").name == "城南社区示范点"


@pytest.mark.parametrize("kind, area, values, field", [
    (TargetKind.COMMUNITY, "town_a", {}, "area_code"),            # a community is a village
    (TargetKind.COMMUNITY, "grid_a1", {}, "area_code"),
    (TargetKind.SCHOOL, "grid_a1", {"name": "小学", "headcount": 10}, "area_code"),
    (TargetKind.SCHOOL, "town_a", {"name": "小学"}, "headcount"),  # the install rate needs it
    (TargetKind.ENTERPRISE, "town_a", {"name": "公司", "headcount": "0"}, "headcount"),
    (TargetKind.ORGANISATION, "town_a", {"name": "局", "headcount": "-3"}, "headcount"),
    (TargetKind.ORGANISATION, "town_a", {"name": "局", "headcount": "many"}, "headcount"),
    (TargetKind.SCHOOL, "town_a", {"name": "", "headcount": 10}, "name"),
    (TargetKind.SCHOOL, "town_a", {"name": "小学", "headcount": 10, "contact_phone": "12345"}, "contact_phone"),
    ("school", "town_a", {"name": "小学", "headcount": 10}, "kind"),
])
def test_bad_target_details_are_refused(ctx, kind, area, values, field):
    c = factories.small_county()
    with pytest.raises(DomainError) as caught:
        fields(getattr(c, area), kind, **values)
    assert caught.value.field == field


def test_units_sit_in_a_county_township_or_village(ctx):
    c = factories.small_county()
    for n, area in enumerate((c.root, c.town_a, c.village_a)):
        assert new_target(area, TargetKind.ENTERPRISE, name=f"公司{n}", headcount="120").headcount == 120


def test_a_village_is_registered_once(ctx):
    c = factories.small_county()
    new_target(c.village_a)
    with pytest.raises(DomainError) as caught:
        new_target(c.village_a, name="另一个名字")
    assert caught.value.field == "area_code"
    assert count(CreationTarget) == 1


def test_a_unit_name_is_registered_once_per_area(ctx):
    c = factories.small_county()
    new_school(c)
    with pytest.raises(DomainError) as caught:
        new_school(c)
    assert caught.value.field == "name"
    new_school(c, name="城关中学")
    new_school(c, area=c.town_b)  # the same name in another township
    new_target(c.town_a, TargetKind.ENTERPRISE, name="城关小学", headcount=5)  # a different kind
    assert count(CreationTarget) == 4


def test_an_edit_is_audited_and_cannot_make_a_duplicate(ctx):
    c = factories.small_county()
    first = new_school(c)
    second = new_school(c, name="城关中学")
    services.update_target(second, area=c.town_a, fields=fields(c.town_a, TargetKind.SCHOOL, name="城关二中",
                                                                 headcount=600), user=c.admin)
    change = entries(second, "update")[0]
    assert change.changes == {"name": ["城关中学", "城关二中"], "headcount": [500, 600]}
    with pytest.raises(DomainError):
        services.update_target(second, area=c.town_a,
                               fields=fields(c.town_a, TargetKind.SCHOOL, name=first.name, headcount=600))


def test_deleting_a_target_unlinks_its_records(ctx):
    c = factories.small_county()
    target = new_school(c, area=c.village_a)
    incident(c.village_a, target=target)
    event_fields = events.check_fields(kind=EventKind.SCHOOL, held_on=local_today(), target="", attendees=1,
                                       materials=0, organiser="", note="", target_id=target.id)
    events.create_event(area=c.village_a, fields=event_fields)
    services.delete_target(target, user=c.admin)
    assert count(CreationTarget) == 0
    assert db.session.scalar(sa.select(Incident.target_id)) is None
    assert db.session.scalar(sa.select(PublicityEvent.target_id)) is None
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.subject == "creation_target")
                             .order_by(AuditEntry.id.desc()).limit(1)) == "delete"


def test_a_target_that_held_a_certificate_cannot_be_deleted(ctx):
    c = factories.small_county()
    target = certified(c)
    services.transition(target, "revoke", user=c.admin, reason="发生案件")
    with pytest.raises(DomainError):
        services.delete_target(target, user=c.admin)
    assert count(CreationTarget) == 1


def test_a_certified_target_keeps_its_kind(ctx):
    c = factories.small_county()
    target = certified(c, new_school(c))
    with pytest.raises(DomainError) as caught:
        services.update_target(target, area=c.town_a, fields=fields(c.town_a, TargetKind.ENTERPRISE,
                                                                    name="城关小学", headcount=500))
    assert caught.value.field == "kind"


# --- the life cycle -------------------------------------------------------------------------------

def test_the_whole_life_cycle_is_audited_with_who_and_why(ctx):
    c = factories.small_county()
    relax(c.root)
    target = new_target(c.village_a)
    walk(target, c.official_a, "start", "apply")
    services.transition(target, "send_back", user=c.admin, reason="材料不全")
    assert target.status is S.IN_PROGRESS and target.status_note == "材料不全"
    services.transition(target, "apply", user=c.official_a)
    certificate = services.transition(target, "certify", user=c.admin, reason="验收合格")
    assert isinstance(certificate, Certificate) and target.status is S.CERTIFIED
    services.transition(target, "revoke", user=c.admin, reason="发生电诈案件")
    assert target.status is S.REVOKED and certificate.revoked_on == local_today()
    assert certificate.revoke_reason == "发生电诈案件"
    services.transition(target, "start", user=c.official_a)
    assert target.status is S.IN_PROGRESS
    steps = [(e.action, e.changes["status"], e.reason, e.user_id) for e in entries(target) if e.action != "create"]
    assert steps == [
        ("start", ["not_started", "in_progress"], "", c.official_a.id),
        ("apply", ["in_progress", "applied"], "", c.official_a.id),
        ("send_back", ["applied", "in_progress"], "材料不全", c.admin.id),
        ("apply", ["in_progress", "applied"], "", c.official_a.id),
        ("certify", ["applied", "certified"], "验收合格", c.admin.id),
        ("revoke", ["certified", "revoked"], "发生电诈案件", c.admin.id),
        ("start", ["revoked", "in_progress"], "", c.official_a.id),
    ]
    certify = entries(target, "certify")[0]
    assert certify.changes["certificate"] == [None, certificate.serial]
    assert entries(target, "revoke")[0].changes["certificate"] == [certificate.serial, None]


@pytest.mark.parametrize("status, action", [
    (S.NOT_STARTED, "apply"), (S.NOT_STARTED, "certify"), (S.NOT_STARTED, "revoke"),
    (S.IN_PROGRESS, "start"), (S.IN_PROGRESS, "certify"), (S.IN_PROGRESS, "send_back"),
    (S.APPLIED, "apply"), (S.APPLIED, "revoke"), (S.APPLIED, "start"),
    (S.CERTIFIED, "certify"), (S.CERTIFIED, "start"), (S.CERTIFIED, "clear_review"),
    (S.REVOKED, "revoke"), (S.REVOKED, "apply"), (S.REVOKED, "certify"),
])
def test_a_step_from_the_wrong_state_is_refused_and_changes_nothing(ctx, status, action):
    c = factories.small_county()
    relax(c.root)
    target = new_target(c.village_a)
    path = {S.NOT_STARTED: [], S.IN_PROGRESS: ["start"], S.APPLIED: ["start", "apply"],
            S.CERTIFIED: ["start", "apply", "certify"], S.REVOKED: ["start", "apply", "certify", "revoke"]}[status]
    walk(target, c.admin, *path, reason="理由")
    audited, certificates = len(entries(target)), count(Certificate)
    with pytest.raises(DomainError):
        services.transition(target, action, user=c.admin, reason="理由")
    assert target.status is status and len(entries(target)) == audited and count(Certificate) == certificates


def test_an_unknown_action_is_refused(ctx):
    c = factories.small_county()
    with pytest.raises(DomainError):
        services.transition(new_target(c.village_a), "promote", user=c.admin)


@pytest.mark.parametrize("action, path", [
    ("send_back", ["start", "apply"]), ("certify", ["start", "apply"]), ("revoke", ["start", "apply", "certify"]),
])
def test_officials_cannot_send_back_certify_or_revoke(ctx, action, path):
    c = factories.small_county()
    relax(c.root)
    target = new_target(c.village_a)
    walk(target, c.admin, *path)
    status = target.status
    with pytest.raises(DomainError):
        services.transition(target, action, user=c.official_a, reason="理由")
    assert target.status is status
    assert action not in services.available_actions(target, c.official_a)
    assert action in services.available_actions(target, c.admin)


@pytest.mark.parametrize("action, path", [("send_back", ["start", "apply"]), ("revoke", ["start", "apply", "certify"])])
def test_sending_back_and_revoking_need_a_reason(ctx, action, path):
    c = factories.small_county()
    relax(c.root)
    target = new_target(c.village_a)
    walk(target, c.admin, *path)
    with pytest.raises(DomainError) as caught:
        services.transition(target, action, user=c.admin, reason="  ")
    assert caught.value.field == "reason"


def test_available_actions_follow_the_state_and_the_role(ctx):
    c = factories.small_county()
    relax(c.root)
    target = new_target(c.village_a)
    assert services.available_actions(target, c.official_a) == ["start"]
    walk(target, c.official_a, "start")
    assert services.available_actions(target, c.official_a) == ["apply"]
    walk(target, c.official_a, "apply")
    assert services.available_actions(target, c.official_a) == []
    assert services.available_actions(target, c.admin) == ["send_back", "certify"]
    walk(target, c.admin, "certify")
    assert services.available_actions(target, c.admin) == ["revoke"]


def test_certifying_with_an_unmet_criterion_needs_an_override_reason(ctx):
    c = factories.small_county()
    relax(c.root)
    target = new_target(c.village_a)
    walk(target, c.official_a, "start", "apply")
    incident(c.village_a, kind="den")
    with pytest.raises(DomainError) as caught:
        services.transition(target, "certify", user=c.admin)
    assert caught.value.field == "override_reason"
    assert target.status is S.APPLIED and count(Certificate) == 0
    certificate = services.transition(target, "certify", user=c.admin, override_reason="窝点系外来人员所设且已打掉")
    assert target.status is S.CERTIFIED and certificate.override_reason == "窝点系外来人员所设且已打掉"
    entry = entries(target, "certify")[0]
    assert entry.changes["override"][1] == {"unmet": ["three_no"], "reason": "窝点系外来人员所设且已打掉"}
    assert entry.reason == "窝点系外来人员所设且已打掉"


def test_a_target_meeting_every_criterion_is_certified_without_override(ctx):
    c = factories.small_county()
    target = certified(c)
    assert target.certificate.override_reason == ""
    assert "override" not in entries(target, "certify")[0].changes


def test_a_certified_target_starts_again_only_once_its_certificate_expired(ctx):
    c = factories.small_county()
    today = local_today()
    target = certified(c, today=today - timedelta(days=400))
    assert target.certificate.valid_until < today
    assert "start" not in services.available_actions(target, c.admin, today=target.certificate.valid_until)
    assert "start" in services.available_actions(target, c.official_a, today=today)
    services.transition(target, "start", user=c.official_a, today=today)
    assert target.status is S.IN_PROGRESS


def test_revoking_after_renewal_revokes_the_new_certificate(ctx):
    c = factories.small_county()
    today = local_today()
    target = certified(c, today=today - timedelta(days=400))
    old = target.certificate
    walk(target, c.admin, "start", "apply", today=today)
    new = services.transition(target, "certify", user=c.admin, today=today)
    assert target.certificate is new
    services.transition(target, "revoke", user=c.admin, reason="发生案件", today=today)
    assert new.revoked_on == today and old.revoked_on is None


# --- review (复核) when an incident happens inside a certified target ----------------------------

def test_an_incident_in_a_certified_village_flags_it_for_review_at_once(ctx):
    c = factories.small_county()
    target = certified(c)
    found = incident(c.village_a, date(2026, 1, 5), kind="den")
    assert target.review_flagged_at is not None
    assert "2026-01-05" in target.review_reason and "城南社区" in target.review_reason
    assert str(found.id) in target.review_reason
    flag = entries(target, "flag_review")[0]
    assert flag.changes == {"incident": [None, found.id]} and flag.user_id is None
    assert target.status is S.CERTIFIED  # the title stays until the county office decides


def test_the_flag_is_part_of_the_incidents_transaction(ctx):
    c = factories.small_county()
    target = certified(c)
    db.session.commit()
    incident(c.village_a)
    assert target.review_flagged_at is not None
    db.session.rollback()
    assert db.session.get(CreationTarget, target.id).review_flagged_at is None
    assert count(Incident) == 0 and entries(target, "flag_review") == []


def test_targets_not_certified_are_not_flagged(ctx):
    c = factories.small_county()
    relax(c.root)
    in_progress = new_target(c.village_a)
    walk(in_progress, c.admin, "start")
    incident(c.village_a)
    assert in_progress.review_flagged_at is None and entries(in_progress, "flag_review") == []


def test_an_incident_in_another_village_does_not_flag(ctx):
    c = factories.small_county()
    target = certified(c)
    incident(c.village_b)
    assert target.review_flagged_at is None


def test_a_school_is_flagged_by_an_incident_tied_to_it_only(ctx):
    c = factories.small_county()
    target = certified(c, new_school(c, area=c.village_b))
    incident(c.village_b)
    assert target.review_flagged_at is None
    incident(c.village_a, kind="person", target=target)
    assert target.review_flagged_at is not None


def test_moving_an_incident_into_a_certified_village_flags_it(ctx):
    c = factories.small_county()
    target = certified(c)
    found = incident(c.village_b)
    values = incidents.check_fields(occurred_on=found.occurred_on, fraud_type="刷单返利", loss="500", recovered="0",
                                    case_ref="", description="")
    incidents.update_incident(found, village=c.village_a, fields=values)
    assert target.review_flagged_at is not None


def test_a_second_incident_adds_to_the_reason(ctx):
    c = factories.small_county()
    target = certified(c)
    first = incident(c.village_a, date(2026, 1, 5))
    flagged_at = target.review_flagged_at
    second = incident(c.village_a, date(2026, 2, 6))
    assert target.review_flagged_at == flagged_at
    assert "2026-01-05" in target.review_reason and "2026-02-06" in target.review_reason
    assert [e.changes["incident"][1] for e in entries(target, "flag_review")] == [first.id, second.id]


def test_the_county_keeps_the_title_after_review_with_a_reason(ctx):
    c = factories.small_county()
    target = certified(c)
    assert "clear_review" not in services.available_actions(target, c.admin)
    incident(c.village_a)
    assert "clear_review" in services.available_actions(target, c.admin)
    assert "clear_review" not in services.available_actions(target, c.official_a)
    with pytest.raises(DomainError):
        services.transition(target, "clear_review", user=c.official_a, reason="外地人员作案")
    with pytest.raises(DomainError):
        services.transition(target, "clear_review", user=c.admin)
    services.transition(target, "clear_review", user=c.admin, reason="外地人员作案")
    assert target.review_flagged_at is None and target.review_reason == "" and target.status is S.CERTIFIED
    entry = entries(target, "clear_review")[0]
    assert entry.changes["status"] == ["certified", "certified"] and entry.reason == "外地人员作案"


def test_revoking_a_flagged_target_clears_the_flag(ctx):
    c = factories.small_county()
    target = certified(c)
    incident(c.village_a)
    services.transition(target, "revoke", user=c.admin, reason="复核不通过")
    assert target.review_flagged_at is None and target.certificate.revoked_on is not None


def test_an_incident_import_flags_the_village(ctx):
    c = factories.small_county()
    target = certified(c)
    data = ("村(社区)代码,类别,发案日期,诈骗类型,损失金额(元)\n"
            f"610923100001,窝点,{local_today().isoformat()},刷单返利,0\n").encode()
    report = import_incidents(data, user=c.admin)
    assert report.ok, report.errors
    assert target.review_flagged_at is not None and len(entries(target, "flag_review")) == 1


# --- the pages ------------------------------------------------------------------------------------

def test_an_official_reports_an_incident_and_the_county_sees_the_review(app, client, auth, county):
    with app.app_context():
        relax(db.session.get(factories.Area, county.root.id))
        target = new_target(db.session.get(factories.Area, county.village_a.id))
        walk(target, db.session.get(factories.User, county.admin.id), "start", "apply", "certify")
        db.session.commit()
        target_id = target.id
    auth.login("official_a")
    response = client.post("/incidents/new", data={
        "village_code": "610923100001", "kind": "den", "occurred_on": "2026-02-01", "fraud_type": "loan",
        "loss": "0"})
    assert response.status_code == 302
    auth.logout()
    auth.login("admin")
    index = client.get("/creation/").get_data(as_text=True)
    assert 'class="alert alert-danger' in index and "review=1" in index
    flagged = client.get("/creation/?review=1").get_data(as_text=True)
    assert f"/creation/{target_id}" in flagged
    page = client.get(f"/creation/{target_id}").get_data(as_text=True)
    alert = re.search(r'<div class="alert alert-danger" role="alert">(.*?)</div>', page, re.S).group(1)
    assert "2026-02-01" in alert and "城南社区" in alert
    assert f"/creation/{target_id}/act/clear_review" in page


def test_an_incident_tied_to_a_school_in_the_form_flags_the_school(app, client, auth, county):
    with app.app_context():
        relax(db.session.get(factories.Area, county.root.id), TargetKind.SCHOOL)
        target = new_target(db.session.get(factories.Area, county.town_a.id), TargetKind.SCHOOL, name="城关小学",
                            headcount=300)
        walk(target, db.session.get(factories.User, county.admin.id), "start", "apply", "certify")
        db.session.commit()
        target_id = target.id
    auth.login("official_a")
    form = client.get("/incidents/new").get_data(as_text=True)
    assert f'value="{target_id}"' in form and "城关小学" in form
    response = client.post("/incidents/new", data={
        "village_code": "610923100001", "kind": "person", "target_id": str(target_id), "occurred_on": "2026-02-01",
        "fraud_type": "loan", "loss": "0"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(CreationTarget, target_id).review_flagged_at is not None


def test_an_official_registers_a_school_and_moves_it_along(app, client, auth, county):
    auth.login("official_a")
    response = client.post("/creation/new", data={"kind": "school", "name": "城关小学", "area_code": "610923100",
                                                  "contact_name": "王老师", "contact_phone": "13800001234",
                                                  "headcount": "860"})
    assert response.status_code == 302
    target_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/creation/{target_id}").get_data(as_text=True)
    assert "城关小学" in page and "王老师" in page and f"/creation/{target_id}/act/start" in page
    assert client.post(f"/creation/{target_id}/act/start").status_code == 302
    assert client.post(f"/creation/{target_id}/act/apply").status_code == 302
    assert client.post(f"/creation/{target_id}/act/certify").status_code == 403
    assert client.post(f"/creation/{target_id}/act/promote").status_code == 404
    with app.app_context():
        target = db.session.get(CreationTarget, target_id)
        assert target.status is S.APPLIED and target.created_by_id == county.official_a.id
    assert "城关小学" in client.get("/creation/?status=applied").get_data(as_text=True)
    assert "城关小学" not in client.get("/creation/?status=certified").get_data(as_text=True)


def test_the_county_certifies_over_http_only_with_an_override_when_a_criterion_is_unmet(app, client, auth, county):
    with app.app_context():
        target = new_target(db.session.get(factories.Area, county.village_a.id))
        walk(target, db.session.get(factories.User, county.official_a.id), "start", "apply")
        db.session.commit()
        target_id = target.id
    auth.login("admin")
    page = client.get(f"/creation/{target_id}").get_data(as_text=True)
    assert 'name="override_reason"' in page  # nothing is recorded yet, so criteria are unmet
    refused = client.post(f"/creation/{target_id}/act/certify", data={"override_reason": ""})
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.get(CreationTarget, target_id).status is S.APPLIED and count(Certificate) == 0
    response = client.post(f"/creation/{target_id}/act/certify", data={"override_reason": "县里统一验收"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(CreationTarget, target_id).status is S.CERTIFIED
    page = client.get(f"/creation/{target_id}").get_data(as_text=True)
    assert "县里统一验收" in page and "610923-" in page
    assert client.post(f"/creation/{target_id}/act/revoke", data={"reason": ""}).status_code == 400
    with app.app_context():
        assert db.session.get(CreationTarget, target_id).status is S.CERTIFIED
        assert db.session.scalar(sa.select(Certificate.revoked_on)) is None
    assert client.post(f"/creation/{target_id}/act/revoke", data={"reason": "发案"}).status_code == 302


def test_a_target_is_seen_only_inside_the_users_area(app, client, auth, county):
    with app.app_context():
        target_id = new_target(db.session.get(factories.Area, county.village_a.id)).id
        db.session.commit()
    auth.login("official_b")
    assert client.get(f"/creation/{target_id}").status_code == 404
    assert client.post(f"/creation/{target_id}/act/start").status_code == 404
    assert "城南社区" not in client.get("/creation/").get_data(as_text=True)
    assert client.post("/creation/new", data={"kind": "community", "area_code": "610923100001"}).status_code == 400
    auth.logout()
    auth.login("worker_a")
    assert client.get("/creation/").status_code == 403
    assert client.get(f"/creation/{target_id}").status_code == 403


def test_bad_details_in_the_form_are_shown_and_nothing_is_saved(app, client, auth, county):
    auth.login("official_a")
    response = client.post("/creation/new", data={"kind": "school", "name": "城关小学", "area_code": "610923100"})
    assert response.status_code == 400
    response = client.post("/creation/new", data={"kind": "community", "area_code": "610923100"})
    assert response.status_code == 400
    with app.app_context():
        assert count(CreationTarget) == 0


def test_editing_and_deleting_over_http(app, client, auth, county):
    auth.login("official_a")
    client.post("/creation/new", data={"kind": "enterprise", "name": "宁陕茶厂", "area_code": "610923100001",
                                       "headcount": "40"})
    with app.app_context():
        target_id = db.session.scalar(sa.select(CreationTarget.id))
    response = client.post(f"/creation/{target_id}/edit", data={"kind": "enterprise", "name": "宁陕茶业公司",
                                                                "area_code": "610923100001", "headcount": "45"})
    assert response.status_code == 302
    assert "宁陕茶业公司" in client.get(f"/creation/{target_id}").get_data(as_text=True)
    assert client.post(f"/creation/{target_id}/delete").status_code == 302
    with app.app_context():
        assert count(CreationTarget) == 0


def test_the_list_filters_by_kind_and_state(app, client, auth, county):
    with app.app_context():
        new_target(db.session.get(factories.Area, county.village_a.id))
        new_target(db.session.get(factories.Area, county.town_a.id), TargetKind.SCHOOL, name="城关小学",
                   headcount=10)
        db.session.commit()
    auth.login("admin")
    schools = client.get("/creation/?kind=school").get_data(as_text=True)
    assert "城关小学" in schools and "城南社区" not in schools
    assert client.get("/creation/?area=610923101").status_code == 200
    assert "城关小学" not in client.get("/creation/?area=610923101").get_data(as_text=True)
    # A hand-edited address with an unknown kind or state lists everything rather than failing.
    for query in ("kind=rocket", "status=gone"):
        page = client.get(f"/creation/?{query}")
        assert page.status_code == 200 and "城关小学" in page.get_data(as_text=True)


def test_deleting_a_target_that_held_a_certificate_over_http_says_why_and_keeps_it(app, client, auth):
    with app.app_context():
        c = factories.small_county()
        target_id = certified(c).id
        db.session.commit()
    auth.login("admin")
    response = client.post(f"/creation/{target_id}/delete", follow_redirects=True)
    assert response.request.path == f"/creation/{target_id}"
    assert "alert-danger" in response.get_data(as_text=True)
    with app.app_context():
        assert count(CreationTarget) == 1
