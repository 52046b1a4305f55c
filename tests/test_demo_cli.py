"""`flask demo` through the CLI runner."""
import sqlalchemy as sa

from campaign.accounts.models import User
from campaign.extensions import db


def test_demo_command_loads_once_and_refuses_to_overwrite(app, runner):
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "25000 households" in result.output and "Wuzha@2026" in result.output
    assert "admin" in result.output and "official" in result.output and "worker" in result.output
    assert "worker2" in result.output and "risk list" in result.output
    again = runner.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0 and "not loaded" in again.output
    refused = runner.invoke(args=["demo"])
    assert refused.exit_code != 0 and "--reset" in refused.output
    with app.app_context():
        # the three documented accounts, a grid worker for each of the other 79 villages, and the
        # worker whose made-up visits the risk list puts first
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 3 + 79 + 1
