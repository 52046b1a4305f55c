"""The demo county's made-up visits: one extra grid worker logged a grid's doors within ten minutes
from one spot with the same answers; the township's call-back sample finds them out, their visits
are under question (有疑问), and they stand first on the county's risk list."""
import pytest
import sqlalchemy as sa

from campaign import create_app
from campaign.accounts.models import User
from campaign.areas.models import Area
from campaign.callbacks.models import CallbackSample, CallbackTask, Result
from campaign.demo.builder import build_demo
from campaign.demo.faker import USERNAME, VISITS
from campaign.extensions import db
from campaign.review.states import ReviewState
from campaign.risk.services import worker_risks
from campaign.rounds.models import Round
from campaign.visits.models import Visit

from .conftest import _test_config, clear_tables


@pytest.fixture(scope="module")
def demo_app(_schema, database_url):
    """The demo county, built once for this module's read-only checks."""
    app = create_app(_test_config(database_url))
    with app.app_context():
        build_demo(scale="county", seed=7)
        db.session.commit()
    yield app
    with app.app_context():
        clear_tables()
        db.engine.dispose()


@pytest.fixture
def demo(demo_app):
    with demo_app.app_context():
        yield SimpleDemo()


class SimpleDemo:
    @property
    def faker(self) -> User:
        return db.session.scalar(sa.select(User).where(User.username == USERNAME))

    @property
    def current(self) -> Round:
        return db.session.scalar(sa.select(Round).order_by(Round.starts_on.desc()))


def test_the_faker_logged_a_grid_within_ten_minutes_from_one_spot(demo):
    visits = db.session.scalars(sa.select(Visit).where(Visit.worker_id == demo.faker.id)).all()
    assert len(visits) == VISITS and {v.round_id for v in visits} == {demo.current.id}
    times = sorted(v.visited_at for v in visits)
    assert (times[-1] - times[0]).total_seconds() <= 600
    assert len({(v.lat, v.lon) for v in visits}) == 1
    assert len({(v.people_briefed, v.app_installs, v.materials, v.note) for v in visits}) == 1
    assert len({v.household_id for v in visits}) == VISITS
    others = db.session.scalar(sa.select(sa.func.count()).select_from(Visit).where(
        Visit.round_id == demo.current.id, Visit.worker_id != demo.faker.id,
        Visit.household_id.in_([v.household_id for v in visits])))
    assert others == 0  # households nobody else visited in the round


def test_the_faker_stands_first_on_the_county_risk_list(demo):
    county = db.session.scalar(sa.select(Area).where(Area.code == "610923"))
    risks = worker_risks(demo.current.id, county)
    first = risks.ranked[0]
    assert first.worker_id == demo.faker.id
    assert first.values["callback_failures"] == 1.0
    assert "callback_failures" in first.reasons


def test_the_call_backs_find_the_faker_out_and_question_their_visits(demo):
    sample = db.session.scalar(sa.select(CallbackSample))
    assert sample.area.code == "610923100" and sample.round_id == demo.current.id
    tasks = db.session.scalars(sa.select(CallbackTask).where(CallbackTask.sample_id == sample.id)).all()
    faker = [t for t in tasks if t.worker_id == demo.faker.id]
    assert faker and {t.result for t in faker} == {Result.NOT_VISITED}
    assert all(t.visit.review_state is ReviewState.HAS_ISSUES for t in faker)
    assert all(t.checker_id not in (None, demo.faker.id) for t in tasks if t.result is not None)
    assert all(t.checker_id != t.worker_id for t in tasks)
    others = [t.result for t in tasks if t.worker_id != demo.faker.id and t.result is not None]
    assert others and others.count(Result.CONFIRMED) > 0.8 * len(others)
    assert Result.NOT_VISITED not in others
