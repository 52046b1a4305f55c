"""Incidents, warnings and events tied to a school or unit, and incidents that are dens or involved
persons: recorded by the target's own township, refused from another, and counted where they belong."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from campaign.core.clock import local_today
from campaign.creation import services as creation
from campaign.creation.models import TargetKind
from campaign.events.models import PublicityEvent
from campaign.extensions import db
from campaign.incidents.importer import import_incidents
from campaign.incidents.models import Incident, IncidentKind
from campaign.incidents.zero import zero_report
from campaign.warnings.models import FraudWarning

from . import factories

TODAY = local_today().isoformat()
# A time certainly past whenever the suite runs (08:00 today is still ahead before 08:00 local time).
YESTERDAY_MORNING = (local_today() - timedelta(days=1)).isoformat() + "T08:00"


@pytest.fixture
def school(app):
    """城关小学 in township A, registered by its official."""
    with app.app_context():
        c = factories.small_county()
        target = creation.create_target(area=c.town_a, fields=creation.check_fields(
            kind=TargetKind.SCHOOL, name="城关小学", area=c.town_a, headcount=400), user=c.official_a)
        db.session.commit()
        return str(target.id)


def rows(app, model):
    with app.app_context():
        return db.session.execute(sa.select(model.target_id).order_by(model.id)).scalars().all()


FORMS = {
    "incident": ("/incidents/new", Incident, {"occurred_on": TODAY, "fraud_type": "loan", "loss": "0", "kind": "den"}),
    "warning": ("/warnings/new", FraudWarning, {"resident": "某某", "level": "high", "received_at": YESTERDAY_MORNING}),
    "event": ("/events/new", PublicityEvent, {"kind": "school", "held_on": TODAY, "attendees": "300",
                                              "app_installs": "120"}),
}
AREA_FIELD = {"incident": "village_code", "warning": "area_code", "event": "area_code"}


@pytest.mark.parametrize("record", list(FORMS))
def test_a_record_is_tied_to_a_school_of_the_officials_own_township(app, client, auth, school, record):
    url, model, data = FORMS[record]
    auth.login("official_a")
    response = client.post(url, data={**data, AREA_FIELD[record]: "610923100001", "target_id": school})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert rows(app, model) == [int(school)]


@pytest.mark.parametrize("record", list(FORMS))
def test_another_township_cannot_tie_a_record_to_that_school(app, client, auth, school, record):
    url, model, data = FORMS[record]
    auth.login("official_b")
    response = client.post(url, data={**data, AREA_FIELD[record]: "610923101001", "target_id": school})
    assert response.status_code == 400
    assert rows(app, model) == []
    page = client.get(url).get_data(as_text=True)
    assert "城关小学" not in page  # not even offered


def test_an_incident_form_records_a_den_and_the_event_its_installs(app, client, auth, school):
    auth.login("official_a")
    client.post("/incidents/new", data={**FORMS["incident"][2], "village_code": "610923100001"})
    client.post("/events/new", data={**FORMS["event"][2], "area_code": "610923100001", "target_id": school})
    with app.app_context():
        assert db.session.scalar(sa.select(Incident.kind)) is IncidentKind.DEN
        assert db.session.scalar(sa.select(PublicityEvent.app_installs)) == 120


def test_an_unknown_incident_kind_is_refused(app, client, auth, school):
    auth.login("official_a")
    response = client.post("/incidents/new", data={**FORMS["incident"][2], "village_code": "610923100001",
                                                   "kind": "rumour"})
    assert response.status_code == 400 and rows(app, Incident) == []


HEADER = "村(社区)代码,类别,发案日期,诈骗类型,损失金额(元)\n"


def test_import_reads_what_was_found_in_chinese_and_refuses_unknown_words(ctx):
    c = factories.small_county()
    good = (HEADER + "610923100001,窝点,2026-01-05,刷单返利,0\n610923100001,涉诈人员,2026-01-06,其他,0\n"
                     "610923100001,,2026-01-07,刷单返利,100\n").encode()
    report = import_incidents(good, user=c.admin)
    assert report.ok
    assert db.session.scalars(sa.select(Incident.kind).order_by(Incident.id)).all() == [
        IncidentKind.DEN, IncidentKind.PERSON, IncidentKind.CASE]
    bad = (HEADER + "610923100001,案件,2026-01-05,刷单返利,0\n610923100001,谣言,2026-01-05,刷单返利,0\n").encode()
    report = import_incidents(bad, user=c.admin)
    assert [(e.line, e.column) for e in report.errors] == [(3, "类别")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 3


def test_dens_and_involved_persons_do_not_count_as_cases_for_zero_incident(ctx):
    c = factories.small_county()
    for kind in (IncidentKind.DEN, IncidentKind.PERSON):
        db.session.add(Incident(village=c.village_a, occurred_on=date(2026, 3, 1), kind=kind,
                                fraud_type="other", loss=0, recovered=0))
    db.session.flush()
    report = zero_report(c.root, date(2026, 1, 1), date(2026, 12, 31))
    assert report.cases == 0 and c.village_a in report.zero_villages
