"""factory_boy factories for the models, and a small county built from them."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import factory
from werkzeug.security import generate_password_hash

from campaign.accounts.models import Role, User
from campaign.areas.models import Area, AreaLevel
from campaign.areas.services import recount_households
from campaign.core.clock import local_today
from campaign.extensions import db
from campaign.households.models import Household
from campaign.rounds.models import Round

PASSWORD = "test-password-1"
# The suite hashes with a cheap method (conftest: PASSWORD_HASH_METHOD); the app uses scrypt.
TEST_HASH_METHOD = "pbkdf2:sha256:1000"
_PASSWORD_HASH = generate_password_hash(PASSWORD, method=TEST_HASH_METHOD)


class Base(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class AreaFactory(Base):
    class Meta:
        model = Area

    code = factory.Sequence(lambda n: f"{610900 + n}")
    name = factory.Sequence(lambda n: f"地区{n}")
    level = factory.LazyAttribute(lambda o: AreaLevel.from_code(o.code))
    lat = 33.3
    lon = 108.3


class HouseholdFactory(Base):
    class Meta:
        model = Household

    grid = factory.SubFactory(AreaFactory)
    door_label = factory.Sequence(lambda n: f"{n // 30 + 1}组{n % 30 + 1}号")
    head_name = "张伟"
    phone = "13812345678"
    members = 3
    lat = 33.3
    lon = 108.3


class UserFactory(Base):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda o: o.username)
    role = Role.WORKER
    password_hash = _PASSWORD_HASH


def small_county() -> SimpleNamespace:
    root = AreaFactory(code="610923", name="宁陕县")
    town_a = AreaFactory(code="610923100", name="城关镇", parent=root)
    town_b = AreaFactory(code="610923101", name="四亩地镇", parent=root)
    village_a = AreaFactory(code="610923100001", name="城南社区", parent=town_a)
    village_b = AreaFactory(code="610923101001", name="四亩地村", parent=town_b)
    grid_a1 = AreaFactory(code="610923100001001", name="城南社区第1网格", parent=village_a)
    grid_a2 = AreaFactory(code="610923100001002", name="城南社区第2网格", parent=village_a)
    grid_b1 = AreaFactory(code="610923101001001", name="四亩地村第1网格", parent=village_b)
    households_a = [HouseholdFactory(grid=grid_a1) for _ in range(3)] + [HouseholdFactory(grid=grid_a2)]
    households_b = [HouseholdFactory(grid=grid_b1) for _ in range(2)]
    admin = UserFactory(username="admin", role=Role.COUNTY, area=root)
    official_a = UserFactory(username="official_a", role=Role.OFFICIAL, area=town_a)
    official_b = UserFactory(username="official_b", role=Role.OFFICIAL, area=town_b)
    worker_a = UserFactory(username="worker_a", role=Role.WORKER, grids=[grid_a1])
    worker_b = UserFactory(username="worker_b", role=Role.WORKER, grids=[grid_b1])
    recount_households()
    db.session.commit()
    return SimpleNamespace(
        root=root, town_a=town_a, town_b=town_b, village_a=village_a, village_b=village_b,
        grid_a1=grid_a1, grid_a2=grid_a2, grid_b1=grid_b1, households_a=households_a,
        households_b=households_b, admin=admin, official_a=official_a, official_b=official_b,
        worker_a=worker_a, worker_b=worker_b)


def snapshot(value):
    """Plain copies of models (column values only), so tests can use them outside a session."""
    if isinstance(value, SimpleNamespace):
        return SimpleNamespace(**{k: snapshot(v) for k, v in vars(value).items()})
    if isinstance(value, list):
        return [snapshot(v) for v in value]
    if isinstance(value, db.Model):
        return SimpleNamespace(**{c.key: getattr(value, c.key) for c in value.__mapper__.column_attrs})
    return value


class RoundFactory(Base):
    class Meta:
        model = Round

    name = factory.Sequence(lambda n: f"第{n + 1}轮敲门行动")
    starts_on = factory.LazyFunction(lambda: local_today() - timedelta(days=10))
    ends_on = factory.LazyFunction(lambda: local_today() + timedelta(days=20))
