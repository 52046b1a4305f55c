"""Warnings (预警劝阻): deadlines by level, assignment, attempts, closing, figures, and who sees what."""
import io
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from campaign.audit.models import AuditEntry
from campaign.core.clock import local_today, zone
from campaign.core.errors import DomainError
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.warnings import services
from campaign.warnings.figures import warning_figures
from campaign.warnings.importer import import_warnings
from campaign.warnings.models import AttemptKind, FraudWarning, Level, WarningOutcome

from . import factories

HEADER = "村(社区)或网格代码,居民,电话,预警等级,接收时间,来源\n"


def new_warning(c, *, level=Level.HIGH, hours_ago=1, area=None):
    return services.create_warning(area=area or c.village_a, resident="王某某", level=level,
                                   received_at=utcnow() - timedelta(hours=hours_ago), source="市反诈中心",
                                   phone="13800000000", user=c.official_a)


@pytest.mark.parametrize("level, hours", [(Level.HIGH, 2), (Level.MEDIUM, 24), (Level.LOW, 72)])
def test_default_deadlines_by_level(ctx, level, hours):
    c = factories.small_county()
    warning = new_warning(c, level=level, hours_ago=0)
    assert warning.deadline_at - warning.received_at == timedelta(hours=hours)


def test_the_county_sets_its_own_deadlines(ctx):
    c = factories.small_county()
    open_warning = new_warning(c, level=Level.HIGH, hours_ago=0)
    services.set_policy(c.root, high=1, medium=12, low=48, user=c.admin)
    assert open_warning.deadline_at - open_warning.received_at == timedelta(hours=1)
    assert new_warning(c, level=Level.LOW).deadline_at - utcnow() < timedelta(hours=48)
    with pytest.raises(DomainError):
        services.set_policy(c.root, high=0, medium=12, low=48)


def test_a_warning_is_overdue_without_face_contact_by_the_deadline(ctx):
    c = factories.small_county()
    late = new_warning(c, level=Level.HIGH, hours_ago=3)
    fresh = new_warning(c, level=Level.HIGH, hours_ago=1)
    assert late.overdue() and not fresh.overdue()
    services.log_attempt(late, at=utcnow() - timedelta(minutes=5), kind=AttemptKind.PHONE, result="无人接听")
    assert late.overdue()  # a call is not a face-to-face contact
    services.log_attempt(fresh, at=utcnow(), kind=AttemptKind.FACE, result="已见面")
    assert not fresh.overdue() and fresh.first_face_at is not None


def test_many_attempts_and_closing(ctx):
    c = factories.small_county()
    warning = new_warning(c)
    services.assign(warning, worker=c.worker_a, user=c.official_a)
    for n in range(3):
        services.log_attempt(warning, at=utcnow() - timedelta(minutes=50 - n * 10), kind=AttemptKind.PHONE,
                             result="未接", user=c.worker_a)
    services.log_attempt(warning, at=utcnow() - timedelta(minutes=10), kind=AttemptKind.FACE, result="劝阻成功",
                         user=c.worker_a)
    services.close(warning, outcome=WarningOutcome.DISSUADED, loss_prevented="50000", user=c.worker_a)
    assert len(warning.attempts) == 4 and warning.loss_prevented == 50000
    with pytest.raises(DomainError):
        services.log_attempt(warning, at=utcnow(), kind=AttemptKind.FACE, result="")
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.subject == "warning")).all()
    assert actions == ["create", "assign", "attempt", "attempt", "attempt", "attempt", "close"]


@pytest.mark.parametrize("change", [
    {"received_at": utcnow() + timedelta(hours=1)}, {"resident": "  "}, {"phone": "123"},
])
def test_bad_warnings_are_refused(ctx, change):
    c = factories.small_county()
    values = {"area": c.village_a, "resident": "王某某", "level": Level.HIGH, "received_at": utcnow(), **change}
    with pytest.raises(DomainError):
        services.create_warning(**values)


def test_attempts_cannot_predate_the_warning_or_be_in_the_future(ctx):
    c = factories.small_county()
    warning = new_warning(c)
    for at in (utcnow() - timedelta(hours=5), utcnow() + timedelta(hours=1)):
        with pytest.raises(DomainError):
            services.log_attempt(warning, at=at, kind=AttemptKind.FACE, result="")


def test_closing_needs_an_attempt_unless_false_alarm(ctx):
    c = factories.small_county()
    with pytest.raises(DomainError):
        services.close(new_warning(c), outcome=WarningOutcome.DISSUADED, loss_prevented=0)
    with pytest.raises(DomainError):
        services.close(new_warning(c), outcome=WarningOutcome.FALSE_ALARM, loss_prevented=-5)
    services.close(new_warning(c), outcome=WarningOutcome.FALSE_ALARM, loss_prevented=0)


def test_only_a_worker_of_the_township_can_be_assigned(ctx):
    c = factories.small_county()
    with pytest.raises(DomainError):
        services.assign(new_warning(c), worker=c.worker_b)
    with pytest.raises(DomainError):
        services.assign(new_warning(c), worker=c.official_a)


def test_figures_face_rate_median_overdue_and_loss(ctx):
    c = factories.small_county()
    a, b, d = new_warning(c, hours_ago=3), new_warning(c, hours_ago=5), new_warning(c, hours_ago=4)
    services.log_attempt(a, at=a.received_at + timedelta(hours=1), kind=AttemptKind.FACE, result="")
    services.log_attempt(b, at=b.received_at + timedelta(hours=3), kind=AttemptKind.FACE, result="")
    services.close(a, outcome=WarningOutcome.DISSUADED, loss_prevented="30000")
    services.close(b, outcome=WarningOutcome.LOST, loss_prevented="0")
    f = warning_figures(c.root, local_today() - timedelta(days=1), local_today())
    assert (f.total, f.met_face, f.closed, f.overdue) == (3, 2, 2, 2)  # b met late, d never met
    assert f.face_rate == 2 / 3 and f.median_hours_to_face == 2.0 and f.loss_prevented == 30000
    assert d.is_open


def test_import_all_or_nothing(ctx):
    c = factories.small_county()
    good = (HEADER + "610923100001,王某某,13800000000,高,2026-01-05 09:30,市反诈中心\n"
                     "610923100001001,李某,,低,2026/01/06 10:00,\n").encode()
    assert import_warnings(good, user=c.official_a).rows == 2
    future = (datetime.now(zone()) + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    bad = (HEADER + "610923100001,王某某,,高,2026-01-05 09:30,\n"
                    "999999999999,张某,,高,2026-01-05 09:30,\n"
                    "610923100001,张某,,紧急,2026-01-05 09:30,\n"
                    "610923100001,张某,,中,昨天,\n"
                    f"610923100001,张某,,中,{future},\n"
                    "610923100001,张某,123,中,2026-01-05 09:30,\n").encode()
    report = import_warnings(bad, user=c.official_a)
    assert [e.line for e in report.errors] == [3, 4, 5, 6, 7]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FraudWarning)) == 2


# --- views ----------------------------------------------------------------------------------

@pytest.fixture
def warned(app, county):
    with app.app_context():
        village = db.session.get(factories.Area, county.village_a.id)
        official = db.session.get(factories.User, county.official_a.id)
        warning = services.create_warning(area=village, resident="王某某", level=Level.HIGH,
                                          received_at=utcnow() - timedelta(hours=3), user=official)
        db.session.commit()
        return warning.id


def test_official_assigns_and_the_worker_sees_it_at_once(app, client, auth, county, warned):
    auth.login("official_a")
    page = client.get("/warnings/").get_data(as_text=True)
    assert "王某某" in page and "overdue" in page
    response = client.post(f"/warnings/{warned}/assign", data={"assign-worker": county.worker_a.id})
    assert response.status_code == 302
    auth.logout()
    auth.login("worker_a")
    assert "王某某" in client.get("/warnings/").get_data(as_text=True)
    assert "王某某" in client.get("/").get_data(as_text=True)  # on the worker's home page too
    at = datetime.now(zone()).strftime("%Y-%m-%dT%H:%M")
    assert client.post(f"/warnings/{warned}/attempt", data={"attempt-kind": "face", "attempt-at": at,
                                                             "attempt-result": "已劝阻"}).status_code == 302
    assert client.post(f"/warnings/{warned}/close", data={"close-outcome": "dissuaded",
                                                           "close-loss_prevented": "20000"}).status_code == 302
    with app.app_context():
        warning = db.session.get(FraudWarning, warned)
        assert warning.outcome is WarningOutcome.DISSUADED and warning.first_face_at is not None


def test_a_worker_does_not_see_warnings_assigned_to_others(client, auth, county, warned):
    auth.login("worker_a")
    assert client.get(f"/warnings/{warned}").status_code == 404
    assert "王某某" not in client.get("/warnings/").get_data(as_text=True)


def test_bad_attempt_form_changes_nothing(app, client, auth, county, warned):
    auth.login("official_a")
    future = (datetime.now(zone()) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/warnings/{warned}/attempt", data={"attempt-kind": "face", "attempt-at": future})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(FraudWarning, warned).attempts == []


def test_figures_page(client, auth, county, warned):
    auth.login("official_a")
    page = client.get("/warnings/figures?area=610923100").get_data(as_text=True)
    assert 'data-figure="total">1<' in page and 'data-figure="overdue">1<' in page


def test_new_warning_form(app, client, auth, county):
    auth.login("official_a")
    at = (datetime.now(zone()) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/warnings/new", data={"area_code": "610923100001", "resident": "赵某", "level": "medium",
                                                 "received_at": at, "source": "县反诈中心"})
    assert response.status_code == 302
    response = client.post("/warnings/new", data={"area_code": "610923101001", "resident": "赵某", "level": "medium",
                                                 "received_at": at})
    assert response.status_code == 400


def test_policy_page_for_the_county_office(app, client, auth, county):
    auth.login("admin")
    assert client.post("/warnings/policy", data={"high": "1", "medium": "12", "low": "36"}).status_code == 302
    assert client.post("/warnings/policy", data={"high": "0", "medium": "12", "low": "36"}).status_code == 400


def test_upload_page_lists_bad_rows(client, auth, county):
    auth.login("official_a")
    data = (HEADER + "610923100001,王某某,,极高,2026-01-05 09:30,\n").encode()
    response = client.post("/warnings/import", data={"file": (io.BytesIO(data), "w.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "<td>2</td>" in response.get_data(as_text=True)
