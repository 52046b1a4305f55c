"""`flask backup` and `flask restore`: a copy read back into an empty database holds every row."""
import re
import stat

import pytest
import sqlalchemy as sa

from campaign import create_app
from campaign.audit.services import record, verify_chain
from campaign.backup import services
from campaign.extensions import db
from campaign.incidents.models import Incident

from . import factories
from .conftest import _test_config


@pytest.fixture
def empty_url(database_url, tmp_path):
    """A second, empty database: a new file on SQLite, a new database on PostgreSQL."""
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"{url.database}_restore"
    server = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with server.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture
def restored_app(empty_url):
    app = create_app(_test_config(empty_url))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _small_data(app) -> None:
    with app.app_context():
        place = factories.small_county()
        for n, user in enumerate([place.admin, place.official_a, place.worker_a]):
            record(action="view", subject="household", subject_id=place.households_a[n].id,
                   area_code=place.grid_a1.code, changes={"fields": ["head_name", "phone"]}, user=user)
        db.session.commit()


def _all_rows(app) -> dict[str, list]:
    """Every table of the app, row by row in primary-key order."""
    with app.app_context():
        with db.engine.connect() as connection:
            return {table.name: connection.execute(sa.select(table).order_by(*(table.primary_key.columns or
                                                                               table.columns))).all()
                    for table in db.metadata.sorted_tables}


def _backup(runner, path) -> str:
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_backup_restored_into_an_empty_database_holds_every_row(app, runner, restored_app, tmp_path):
    _small_data(app)
    target = tmp_path / "nightly" / "campaign.backup"
    output = _backup(runner, target)
    assert f"backup written: {target}" in output and target.stat().st_size > 0
    assert re.search(r"household\s+6\b", output) and re.search(r"audit_entry\s+3\b", output)
    assert "audit chain head: entry 3" in output
    assert "keys are not in the backup" in output  # the key files must be kept separately
    assert stat.S_IMODE(target.stat().st_mode) == 0o600

    result = restored_app.test_cli_runner().invoke(args=["restore", str(target)])
    assert result.exit_code == 0, result.output
    assert "audit chain OK: 3 entries" in result.output
    original, restored = _all_rows(app), _all_rows(restored_app)
    assert restored == original and original["household"] and original["audit_entry"]


def test_restore_refuses_a_database_that_holds_data_unless_forced(app, runner, tmp_path):
    _small_data(app)
    backup = tmp_path / "campaign.backup"
    _backup(runner, backup)
    before = _all_rows(app)
    with app.app_context():
        db.session.execute(sa.delete(Incident))
        record(action="create", subject="incident", subject_id=99, area_code=None, changes={})
        db.session.commit()
    refused = runner.invoke(args=["restore", str(backup)])
    assert refused.exit_code != 0 and "--force" in refused.output
    assert len(_all_rows(app)["audit_entry"]) == 4  # untouched

    forced = runner.invoke(args=["restore", "--force", str(backup)])
    assert forced.exit_code == 0, forced.output
    assert _all_rows(app) == before


def test_a_backup_into_a_folder_gets_a_dated_name(app, runner, tmp_path):
    _small_data(app)
    output = _backup(runner, tmp_path)
    written = list(tmp_path.glob("campaign-*"))
    assert len(written) == 1 and str(written[0]) in output
    assert not list(tmp_path.glob("*.partial"))


def test_restore_refuses_a_file_that_is_not_a_backup(restored_app, tmp_path):
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a backup at all" * 100)
    result = restored_app.test_cli_runner().invoke(args=["restore", str(junk)])
    assert result.exit_code != 0 and "Error" in result.output


def test_a_missing_or_too_old_pg_dump_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(services.BackupError, match="pg_dump not found.*postgresql-client-15"):
        services._tool("pg_dump", 15)
    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 13.9'\n")
    fake.chmod(0o755)
    with pytest.raises(services.BackupError, match="version 13 but the server is PostgreSQL 15"):
        services._tool("pg_dump", 15)
    assert services._tool("pg_dump", 12) == str(fake)


def test_the_demo_round_trips_through_a_backup(app, runner, restored_app, tmp_path):
    built = runner.invoke(args=["demo"])
    assert built.exit_code == 0, built.output
    with app.app_context():
        assert verify_chain().ok and verify_chain().count > 50
    backup = tmp_path / "demo.backup"
    _backup(runner, backup)

    result = restored_app.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code == 0, result.output
    original, restored = _all_rows(app), _all_rows(restored_app)
    assert original.keys() == restored.keys()
    for name, rows in original.items():
        assert restored[name] == rows, name
    assert len(original["household"]) > 20_000
    with restored_app.app_context():
        report = verify_chain()
        assert report.ok and report.count == len(original["audit_entry"])
