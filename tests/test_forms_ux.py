"""Forms that neither lose work nor surprise: the criteria page saved whole or not at all, the assign form's
default, the word that an incident flags a certified target, and in Chromium the warning before unsaved changes
are left and the question before a revoke or a delete."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from campaign.accounts.models import Role
from campaign.audit.models import AuditEntry
from campaign.core.clock import local_today
from campaign.core.types import utcnow
from campaign.creation import services as creation
from campaign.creation.criteria import DEFAULTS, criteria_for
from campaign.creation.models import CreationCriteria, CreationSettings, CreationTarget, TargetKind, TargetStatus
from campaign.extensions import db
from campaign.incidents import services as incidents
from campaign.incidents.models import Incident
from campaign.warnings import services as warnings
from campaign.warnings.models import Level

from . import factories
from .browser import log_in


def _all_kinds(**changes) -> dict:
    """The criteria page as the browser sends it: every kind's defaults and the issuer, then ``changes``
    (``"school-min_events": "2"``; None leaves a field out, as an unticked box)."""
    data = {"issuer": "宁陕县反诈中心"}
    for kind in TargetKind:
        for name, value in DEFAULTS[kind].items():
            if name == "min_coverage" and not kind.tied_to_area:
                continue
            if value is not False:
                data[f"{kind.value}-{name}"] = "" if value is None else ("y" if value is True else str(value))
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _saved_criteria(app, county) -> dict:
    with app.app_context():
        root = db.session.get(factories.Area, county.root.id)
        return {kind: {name: getattr(criteria_for(root, kind), name) for name in CreationCriteria.FIELDS}
                for kind in TargetKind}


# --- the criteria page: one form, one save ------------------------------------------------------

def test_one_save_keeps_every_kinds_criteria_and_the_issuer(app, client, auth, county):
    auth.login("admin")
    page = client.get("/creation/criteria").get_data(as_text=True)
    assert page.count("<form") - page.count('action="/lang/') - page.count('action="/logout"') == 1
    assert page.count('type="submit"') - page.count('action="/lang/') - page.count('action="/logout"') == 1
    assert "data-unsaved-warning" in page
    response = client.post("/creation/criteria", data=_all_kinds(**{
        "community-min_coverage": "98", "school-min_install_rate": "95", "enterprise-three_no": None,
        "organisation-min_events": "6", "issuer": "宁陕县反诈中心办公室"}))
    assert response.status_code == 302
    saved = _saved_criteria(app, county)
    assert saved[TargetKind.COMMUNITY]["min_coverage"] == 98
    assert saved[TargetKind.SCHOOL]["min_install_rate"] == 95
    assert saved[TargetKind.ENTERPRISE]["three_no"] is False
    assert saved[TargetKind.ORGANISATION]["min_events"] == 6
    with app.app_context():
        assert db.session.scalar(sa.select(CreationSettings.issuer)) == "宁陕县反诈中心办公室"
        entries = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.subject.in_(["creation_criteria", "creation_settings"]))).all()
    # one audit entry per kind that changed, and one for the issuer, as when each was saved alone
    assert sorted((e.subject, (e.changes.get("kind") or [None, None])[1]) for e in entries) == [
        ("creation_criteria", "community"), ("creation_criteria", "enterprise"),
        ("creation_criteria", "organisation"), ("creation_criteria", "school"), ("creation_settings", None)]


@pytest.mark.parametrize("bad", [{"organisation-min_face_rate": "101"}, {"enterprise-window_months": ""},
                                 {"school-min_events": "many"}, {"issuer": ""}])
def test_a_bad_value_anywhere_saves_nothing_and_keeps_what_was_typed(app, client, auth, county, bad):
    auth.login("admin")
    before = _saved_criteria(app, county)
    response = client.post("/creation/criteria", data=_all_kinds(**{"community-min_coverage": "97",
                                                                     "school-min_install_rate": "99", **bad}))
    assert response.status_code == 400
    assert _saved_criteria(app, county) == before
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CreationCriteria)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CreationSettings)) == 0
    page = response.get_data(as_text=True)
    assert 'value="97"' in page and 'value="99"' in page  # what was typed is shown again, not lost
    assert "is-invalid" in page


# --- assigning a warning ----------------------------------------------------------------------------

@pytest.fixture
def two_workers(app, county):
    """worker_a in grid 1 of 城南社区 and 甲工作人员 in its grid 2 (first in the list by name)."""
    with app.app_context():
        grid = db.session.get(factories.Area, county.grid_a2.id)
        worker = factories.UserFactory(username="worker_c", display_name="甲工作人员", role=Role.WORKER,
                                       grids=[grid])
        db.session.commit()
        return worker.id


def _warning(app, area_id, household_id=None):
    with app.app_context():
        area = db.session.get(factories.Area, area_id)
        household = db.session.get(factories.Household, household_id) if household_id else None
        warning = warnings.create_warning(area=area, resident="王某某", level=Level.HIGH,
                                          received_at=utcnow() - timedelta(hours=1), household=household)
        db.session.commit()
        return warning.id


def _selected(page: str) -> str | None:
    select = re.search(r'<select[^>]*name="assign-worker".*?</select>', page, re.S).group(0)
    for option in re.findall(r"<option\b[^>]*>", select):
        if re.search(r"\sselected(\s|>|=)", option):
            return re.search(r'value="([^"]*)"', option).group(1)
    return None


def test_the_assign_form_offers_the_worker_of_the_warnings_grid(app, client, auth, county, two_workers):
    in_grid_1 = _warning(app, county.grid_a1.id)
    in_grid_2 = _warning(app, county.grid_a2.id)
    auth.login("official_a")
    page = client.get(f"/warnings/{in_grid_1}").get_data(as_text=True)
    assert _selected(page) == str(county.worker_a.id)
    assert "甲工作人员" in page  # the other worker can still be chosen
    assert _selected(client.get(f"/warnings/{in_grid_2}").get_data(as_text=True)) == str(two_workers)


def test_a_household_warning_offers_its_households_grid_worker(app, client, auth, county, two_workers):
    warning_id = _warning(app, county.village_a.id, household_id=county.households_a[3].id)  # in grid 2
    auth.login("official_a")
    assert _selected(client.get(f"/warnings/{warning_id}").get_data(as_text=True)) == str(two_workers)


def test_a_village_warning_with_two_grid_workers_offers_none_of_them(app, client, auth, county, two_workers):
    warning_id = _warning(app, county.village_a.id)
    auth.login("official_a")
    assert _selected(client.get(f"/warnings/{warning_id}").get_data(as_text=True)) is None


def test_the_assign_form_says_who_is_assigned_now(app, client, auth, county, two_workers):
    warning_id = _warning(app, county.grid_a1.id)
    auth.login("official_a")
    client.post("/lang/en")
    page = client.get(f"/warnings/{warning_id}").get_data(as_text=True)
    assert "Not assigned yet." in page
    assert client.post(f"/warnings/{warning_id}/assign", data={"assign-worker": two_workers}).status_code == 302
    page = client.get(f"/warnings/{warning_id}").get_data(as_text=True)
    assert re.search(r'id="assigned-now">Assigned now: 甲工作人员<', page)
    assert _selected(page) == str(county.worker_a.id)  # the grid's own worker is still offered first
    assert ">Reassign<" in page


# --- an incident inside a certified target ------------------------------------------------------------

@pytest.fixture
def certified(app, county):
    with app.app_context():
        root = db.session.get(factories.Area, county.root.id)
        admin = db.session.get(factories.User, county.admin.id)
        for kind in TargetKind:
            creation.set_criteria(root, kind, window_months=12, three_no=False, min_coverage=None,
                                  min_install_rate=None, min_events=None, min_face_rate=None)
        village = db.session.get(factories.Area, county.village_a.id)
        target = creation.create_target(area=village, fields=creation.check_fields(
            kind=TargetKind.COMMUNITY, name="", area=village))
        for action in ("start", "apply", "certify"):
            creation.transition(target, action, user=admin)
        db.session.commit()
        return target.id


def _incident_form(village_code: str) -> dict:
    return {"kind": "case", "village_code": village_code, "occurred_on": local_today().isoformat(),
            "fraud_type": "brushing", "loss": "5000", "recovered": "0", "case_ref": "", "description": ""}


def test_an_incident_in_a_certified_target_says_it_is_flagged_for_review(app, client, auth, county, certified):
    auth.login("official_a")
    client.post("/lang/en")
    page = client.post("/incidents/new", data=_incident_form(county.village_a.code),
                       follow_redirects=True).get_data(as_text=True)
    assert "Incident recorded." in page
    assert "“城南社区” is certified: it is now flagged for review (复核)." in page
    with app.app_context():
        target = db.session.get(CreationTarget, certified)
        assert target.review_flagged_at is not None and target.status is TargetStatus.CERTIFIED


def test_an_incident_elsewhere_names_no_target(app, client, auth, county, certified):
    auth.login("official_b")
    client.post("/lang/en")
    page = client.post("/incidents/new", data=_incident_form(county.village_b.code),
                       follow_redirects=True).get_data(as_text=True)
    assert "Incident recorded." in page and "flagged for review" not in page
    with app.app_context():
        assert db.session.get(CreationTarget, certified).review_flagged_at is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 1


# --- confirmation questions name what they act on ----------------------------------------------------

def test_revoke_and_delete_buttons_ask_naming_the_target(app, client, auth, county, certified):
    auth.login("admin")
    client.post("/lang/en")
    page = client.get(f"/creation/{certified}").get_data(as_text=True)
    with app.app_context():
        title = db.session.get(CreationTarget, certified).certificate.title  # 无诈社区 once translations are built
    assert f'data-action="revoke" data-confirm="Revoke the {title} title of “城南社区”?"' in page
    with app.app_context():
        village = db.session.get(factories.Area, county.village_b.id)
        other = creation.create_target(area=village, fields=creation.check_fields(
            kind=TargetKind.COMMUNITY, name="", area=village))
        creation.transition(other, "start", user=db.session.get(factories.User, county.admin.id))
        creation.transition(other, "apply", user=db.session.get(factories.User, county.admin.id))
        db.session.commit()
        other_id = other.id
    page = client.get(f"/creation/{other_id}").get_data(as_text=True)
    assert 'data-confirm="Send the application of “四亩地村” back for review?"' in page
    assert 'data-confirm="Delete the creation target “四亩地村”?"' in page


def test_the_long_forms_warn_before_unsaved_changes_are_left(app, client, auth, county, certified):
    warning_id = _warning(app, county.grid_a1.id)
    auth.login("official_a")
    for url in ("/households/new", f"/households/{county.households_a[0].id}/edit", "/creation/new",
                f"/creation/{certified}/edit", "/incidents/new", "/events/new", "/warnings/new",
                f"/warnings/{warning_id}"):
        page = client.get(url).get_data(as_text=True)
        assert "data-unsaved-warning" in page, url
        assert "/static/js/unsaved.js" in page, url


def test_the_favicon_and_the_app_icon_are_served(client):
    assert client.get("/favicon.ico").status_code == 200
    assert client.get("/static/img/apple-touch-icon.png").mimetype == "image/png"


# --- in Chromium -------------------------------------------------------------------------------------

@pytest.fixture
def desk(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    yield context.new_page()
    context.close()


def test_leaving_the_criteria_form_after_a_change_asks_first(app, live_server, desk, county):
    page = desk
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    log_in(page, live_server, "admin")
    for url in ("/creation/criteria", "/incidents/new", "/warnings/new", "/creation/new"):  # some with pickers
        page.goto(live_server + url)
        page.wait_for_load_state("load")
        page.click(".navbar-brand")  # nothing typed yet: leaving asks nothing
        page.wait_for_url(live_server + "/")
    assert dialogs == []

    page.goto(live_server + "/creation/criteria")
    page.click("#school-min_events")
    page.keyboard.press("Control+A")
    page.keyboard.type("7")
    page.click(".navbar-brand")
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    assert page.url == live_server + "/creation/criteria"  # dismissed: the page and what was typed stay
    assert page.input_value("#school-min_events") == "7"

    page.click("#criteria-form button[type=submit]")  # sending the form itself asks nothing
    page.wait_for_url(live_server + "/creation/criteria")
    assert dialogs == ["beforeunload"]
    assert _saved_criteria(app, county)[TargetKind.SCHOOL]["min_events"] == 7


def test_dismissing_the_revoke_question_changes_nothing(app, live_server, desk, county, certified):
    page = desk
    questions = []

    def answer(dialog):
        questions.append((dialog.type, dialog.message))
        dialog.dismiss()

    page.on("dialog", answer)
    log_in(page, live_server, "admin")
    page.goto(f"{live_server}/creation/{certified}")
    page.fill("#reason-revoke", "辖区内发生案件")
    page.click("button[data-action=revoke]")
    page.wait_for_timeout(300)
    assert len(questions) == 1 and questions[0][0] == "confirm" and "城南社区" in questions[0][1]
    assert page.url == f"{live_server}/creation/{certified}"
    with app.app_context():
        target = db.session.get(CreationTarget, certified)
        assert target.status is TargetStatus.CERTIFIED and target.certificate.revoked_on is None

    page.once("dialog", lambda dialog: dialog.accept())
    page.remove_listener("dialog", answer)
    page.click("button[data-action=revoke]")
    page.wait_for_url(f"{live_server}/creation/{certified}")
    page.wait_for_load_state()
    with app.app_context():
        assert db.session.get(CreationTarget, certified).status is TargetStatus.REVOKED


def test_dismissing_the_delete_question_keeps_the_incident(app, live_server, desk, county):
    with app.app_context():
        village = db.session.get(factories.Area, county.village_a.id)
        incident = incidents.create_incident(village=village, fields=incidents.check_fields(
            occurred_on=local_today(), fraud_type="刷单返利", loss="100", recovered="0", case_ref="", description="",
            kind="case", target_id=None))
        db.session.commit()
        incident_id = incident.id
    page = desk
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", answer)
    log_in(page, live_server, "official_a")
    page.goto(f"{live_server}/incidents/{incident_id}/edit")
    page.click("form[data-confirm] button[type=submit]")
    page.wait_for_timeout(300)
    assert len(questions) == 1 and "城南社区" in questions[0]
    assert page.url == f"{live_server}/incidents/{incident_id}/edit"
    with app.app_context():
        assert db.session.get(Incident, incident_id) is not None
