"""The demo county is 宁陕县 from the official division list, built the same way for the same seed."""
import hashlib

import pytest
import sqlalchemy as sa

from campaign import create_app
from campaign.accounts.models import Role, User
from campaign.areas.models import Area, AreaLevel
from campaign.core.clock import local_today
from campaign.coverage.services import area_figures
from campaign.demo.builder import SCALES, build_demo, reset_database
from campaign.extensions import db
from campaign.households.models import Household
from campaign.rounds.models import Round
from campaign.visits.models import GridTally
from campaign.visits.rebuild import rebuild_round

from .conftest import _test_config, clear_tables


def count(level):
    return db.session.scalar(sa.select(sa.func.count()).select_from(Area).where(Area.level == level))


def fingerprint() -> str:
    rows = db.session.execute(sa.select(Area.code, Household.door_label, Household.head_name, Household.phone,
                                        Household.lat).join(Household.grid).order_by(Household.id)).all()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


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
        yield


def test_demo_county_has_the_official_townships_and_villages(demo):
    assert count(AreaLevel.TOWNSHIP) == 11
    assert count(AreaLevel.VILLAGE) == 80
    root = db.session.scalar(sa.select(Area).where(Area.code == "610923"))
    assert root.name == "宁陕县" and root.parent is None
    township = db.session.scalar(sa.select(Area).where(Area.code == "610923100"))
    assert township.name == "城关镇"
    village = db.session.scalar(sa.select(Area).where(Area.code == "610923100001"))
    assert village.name == "城南社区" and village.parent is township


def test_every_village_has_two_to_four_grids(demo):
    per_village = db.session.execute(
        sa.select(sa.func.count()).select_from(Area).where(Area.level == AreaLevel.GRID).group_by(Area.parent_id)
    ).scalars().all()
    assert len(per_village) == 80 and min(per_village) >= 2 and max(per_village) <= 4


def test_about_25000_households_with_counts_rolled_up(demo):
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Household))
    assert total == SCALES["county"].households
    assert db.session.scalar(sa.select(Area.household_count).where(Area.code == "610923")) == total
    named = db.session.scalar(sa.select(sa.func.count()).select_from(Household).where(Household.head_name.is_not(None)))
    assert 0.8 < named / total < 0.95


def test_coordinates_cluster_around_the_county(demo):
    lat_min, lat_max, lon_min, lon_max = db.session.execute(sa.select(
        sa.func.min(Household.lat), sa.func.max(Household.lat), sa.func.min(Household.lon),
        sa.func.max(Household.lon))).one()
    assert 32.9 < lat_min < lat_max < 33.7 and 107.9 < lon_min < lon_max < 108.7


def test_same_seed_same_data_other_seed_other_data(demo):
    first = fingerprint()
    reset_database()
    build_demo(scale="county", seed=7)
    assert fingerprint() == first
    reset_database()
    build_demo(scale="county", seed=8)
    assert fingerprint() != first


def test_demo_accounts_log_in_with_the_documented_password(demo):
    accounts = {u.username: u for u in db.session.scalars(sa.select(User))}
    assert accounts["admin"].role is Role.COUNTY and accounts["admin"].area.code == "610923"
    assert accounts["official"].role is Role.OFFICIAL and accounts["official"].area.name == "城关镇"
    worker = accounts["worker"]
    assert worker.role is Role.WORKER and len(worker.grids) == 2
    assert all(g.code.startswith("610923100") for g in worker.grids)
    assert all(accounts[name].check_password("Wuzha@2026") for name in ("admin", "official", "worker"))
    assert accounts["gw610923100002"].check_password("Wuzha@2026")


def test_demo_has_a_finished_and_a_current_round_with_visits(demo):
    rounds = db.session.scalars(sa.select(Round).order_by(Round.starts_on)).all()
    assert len(rounds) == 2 and rounds[1].is_open_on(local_today())
    root = db.session.scalar(sa.select(Area).where(Area.code == "610923"))
    finished, current = (area_figures(r.id, root) for r in rounds)
    assert 0.75 < finished.coverage < 0.95 and 0.25 < current.coverage < 0.5
    assert 0 < current.flagged_share < 0.15
    worker = db.session.scalar(sa.select(User).where(User.username == "worker"))
    untouched = area_figures(rounds[1].id, worker.grids[-1])
    assert untouched.visits == 0 and untouched.in_scope > 0  # work left for the demo worker


def test_demo_tallies_match_a_rebuild(demo):
    current = db.session.scalar(sa.select(Round).order_by(Round.starts_on.desc()))
    before = db.session.execute(sa.select(GridTally.grid_id, GridTally.reached, GridTally.visits,
                                          GridTally.flagged).where(GridTally.round_id == current.id)).all()
    rebuild_round(current.id)
    after = db.session.execute(sa.select(GridTally.grid_id, GridTally.reached, GridTally.visits,
                                         GridTally.flagged).where(GridTally.round_id == current.id)).all()
    assert sorted(before) == sorted(after) and before


def test_demo_titles_were_earned_on_real_figures_and_one_waits_for_review(demo_app):
    from campaign.creation.criteria import evaluate
    from campaign.creation.models import Certificate, CreationTarget, TargetStatus

    with demo_app.app_context():
        certificates = db.session.scalars(sa.select(Certificate).order_by(Certificate.seq)).all()
        assert [c.serial[-4:] for c in certificates] == ["0001", "0002", "0003", "0004", "0005"]
        assert all(c.override_reason == "" for c in certificates)
        for certificate in certificates:
            assert evaluate(certificate.target, today=certificate.issued_on).all_met, certificate.target_name
        flagged = db.session.scalars(sa.select(CreationTarget).where(
            CreationTarget.review_flagged_at.is_not(None))).all()
        assert len(flagged) == 1 and flagged[0].status is TargetStatus.CERTIFIED
        revoked = [c for c in certificates if c.revoked_on is not None]
        assert len(revoked) == 1 and revoked[0].target.status is TargetStatus.REVOKED
