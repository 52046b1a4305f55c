"""Rounds: the county office runs them; once visits exist, their days can only grow around them."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from campaign.core.clock import local_date, local_today
from campaign.core.errors import DomainError
from campaign.extensions import db
from campaign.rounds import services
from campaign.rounds.models import Round
from campaign.visits.services import record_visits

from . import factories, visiting

TODAY = local_today()


def test_create_and_find_the_current_round(ctx):
    c = factories.small_county()
    past = services.create_round(area=c.root, name="第一轮", starts_on=TODAY - timedelta(days=40),
                                 ends_on=TODAY - timedelta(days=20))
    now = services.create_round(area=c.root, name="第二轮", starts_on=TODAY - timedelta(days=5),
                                ends_on=TODAY + timedelta(days=5))
    assert services.current_round("610923100001001") is now
    assert services.current_round("610923", today=TODAY - timedelta(days=30)) is past
    assert services.current_round("610924") is None  # another county has no round


@pytest.mark.parametrize("starts, ends, message", [
    (5, 4, "结束日期"),        # ends before it starts
    (-20, -10, "重叠"),        # overlaps the existing round
])
def test_bad_rounds_are_refused(ctx, starts, ends, message):
    c = factories.small_county()
    services.create_round(area=c.root, name="第一轮", starts_on=TODAY - timedelta(days=15), ends_on=TODAY)
    with pytest.raises(DomainError) as caught:
        services.create_round(area=c.root, name="新一轮", starts_on=TODAY + timedelta(days=starts),
                              ends_on=TODAY + timedelta(days=ends))
    assert message in str(caught.value.message)


def test_dates_cannot_move_past_logged_visits(ctx):
    c = factories.small_county()
    round_ = factories.RoundFactory(area=c.root)
    record_visits(worker=c.worker_a, items=[visiting.visit(c.households_a[0], round_.id)])
    visit_day = local_date(visiting.BASE)
    with pytest.raises(DomainError):
        services.update_round(round_, name=round_.name, starts_on=visit_day + timedelta(days=1),
                              ends_on=round_.ends_on)
    with pytest.raises(DomainError):
        services.update_round(round_, name=round_.name, starts_on=round_.starts_on,
                              ends_on=visit_day - timedelta(days=1))
    services.update_round(round_, name="改名", starts_on=round_.starts_on - timedelta(days=3),
                          ends_on=round_.ends_on + timedelta(days=3))
    assert round_.name == "改名"
    with pytest.raises(DomainError):
        services.delete_round(round_)


def test_a_round_without_visits_can_be_deleted(ctx):
    c = factories.small_county()
    round_ = factories.RoundFactory(area=c.root)
    services.delete_round(round_)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Round)) == 0


def test_county_office_creates_a_round_in_the_browser(app, client, auth, county):
    auth.login("admin")
    response = client.post("/rounds/new", data={"name": "冬季敲门行动", "starts_on": TODAY.isoformat(),
                                                "ends_on": (TODAY + timedelta(days=30)).isoformat()})
    assert response.status_code == 302
    page = client.get("/rounds/").get_data(as_text=True)
    assert "冬季敲门行动" in page and "进行中" in page


def test_overlapping_round_form_shows_why_and_saves_nothing(app, client, auth, county):
    auth.login("admin")
    data = {"name": "一", "starts_on": TODAY.isoformat(), "ends_on": (TODAY + timedelta(days=3)).isoformat()}
    client.post("/rounds/new", data=data)
    response = client.post("/rounds/new", data={**data, "name": "二"})
    assert response.status_code == 400 and "重叠" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Round)) == 1


def test_officials_and_workers_see_rounds_but_cannot_run_them(client, auth, county, app):
    with app.app_context():
        factories.RoundFactory(area=db.session.get(factories.Area, county.root.id), name="第九轮")
        db.session.commit()
    auth.login("worker_a")
    assert "第九轮" in client.get("/rounds/").get_data(as_text=True)
    assert client.get("/rounds/new").status_code == 403
