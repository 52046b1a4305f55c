"""The personal-data migration converts phones already stored, both ways."""
import flask_migrate
import sqlalchemy as sa

from campaign import create_app
from campaign.extensions import db
from campaign.households.models import Household

from .conftest import _test_config


def test_upgrade_encrypts_existing_phones_and_downgrade_restores_them(tmp_path):
    app = create_app(_test_config(f"sqlite:///{tmp_path / 'old.db'}"))
    with app.app_context():
        flask_migrate.upgrade(revision="c1a0a0000001")
        db.session.execute(sa.text("INSERT INTO area (code, name, level, household_count, created_at, updated_at) "
                                   "VALUES ('610923100001001', '网格', 'grid', 1, '2026-01-01', '2026-01-01')"))
        db.session.execute(sa.text(
            "INSERT INTO household (grid_id, door_label, head_name, phone, members, elderly_alone, at_risk, "
            "created_at, updated_at) "
            "VALUES (1, '1组1号', '张伟', '0915-6821234', 1, 0, 0, '2026-01-01', '2026-01-01')"))
        db.session.commit()
        flask_migrate.upgrade(revision="c1a0a0000002")
        raw, index = db.session.execute(sa.text("SELECT phone, phone_index FROM household")).one()
        assert "6821234" not in raw and index
        assert db.session.scalar(sa.select(Household.id).where(Household.phone_index == index)) == 1
        assert db.session.scalar(sa.select(Household.phone)) == "0915-6821234"
        db.session.commit()
        flask_migrate.downgrade(revision="c1a0a0000001")
        assert db.session.execute(sa.text("SELECT phone FROM household")).scalar() == "0915-6821234"
        db.engine.dispose()
