"""The audit log is a hash chain: `flask audit verify` names the first entry that was changed or removed."""
import importlib.util
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from campaign.accounts.models import User
from campaign.audit.chain import GENESIS, hash_of_row
from campaign.audit.models import AuditEntry
from campaign.audit.services import record, recorded_at, verify_chain
from campaign.extensions import db

from . import factories

MIGRATION = Path(__file__).parent.parent / "migrations/versions/c1a0a0000003_tamper_evident_audit_chain.py"


def _record_many(count: int) -> list[int]:
    """Entries by several users with several actions and changes; returns their ids in order."""
    place = factories.small_county()
    users = [place.admin, place.official_a, place.worker_a, None]
    actions = ["create", "update", "delete", "view", "certify"]
    ids = []
    for n in range(count):
        entry = record(action=actions[n % len(actions)], subject="incident", subject_id=n + 1,
                       area_code=place.village_a.code if n % 3 else None, user=users[n % len(users)],
                       changes={"loss": ["0.00", f"{n}.50"], "描述": [None, f"刷单 {n}"], 7: {"nested": [1, 2.5]}},
                       reason="复核" if n % 4 == 0 else "")
        ids.append(entry.id)
    db.session.commit()
    return ids


def _tamper(sql: str, **params) -> None:
    """Change the table behind the app's back, as someone with the owner's rights would.
    On PostgreSQL that someone must first switch the append-only trigger off."""
    with db.engine.begin() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(sa.text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
        connection.execute(sa.text(sql), params)
        if postgres:
            connection.execute(sa.text("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only"))


def _json(param: str) -> str:
    return f"CAST(:{param} AS json)" if db.engine.dialect.name == "postgresql" else f":{param}"


def test_the_chain_verifies_after_many_records_by_different_users(ctx):
    ids = _record_many(40)
    result = ctx.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "OK: 40 entries" in result.output
    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [e.id for e in entries] == ids and [e.seq for e in entries] == list(range(1, 41))
    assert entries[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    assert entries[1].changes["7"] == {"nested": [1, 2.5]}  # stored as it reads back


def test_an_empty_log_verifies(ctx):
    result = ctx.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "OK: 0 entries" in result.output


def test_changes_edited_with_sql_are_named_by_audit_verify(ctx):
    ids = _record_many(12)
    _tamper(f"UPDATE audit_entry SET changes = {_json('c')} WHERE id = :id", c='{"loss": ["0.00", "0.00"]}',
            id=ids[6])
    result = ctx.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code != 0
    assert f"entry id {ids[6]} (sequence 7)" in result.output
    assert "does not match its contents" in result.output and "6 entries before it are intact" in result.output


def test_an_action_edited_with_sql_is_named_by_audit_verify(ctx):
    ids = _record_many(12)
    _tamper("UPDATE audit_entry SET action = 'view' WHERE id = :id", id=ids[2])
    result = ctx.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and f"entry id {ids[2]} " in result.output


def test_an_entry_deleted_from_the_middle_is_noticed_at_the_next_one(ctx):
    ids = _record_many(12)
    _tamper("DELETE FROM audit_entry WHERE id = :id", id=ids[5])
    result = ctx.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code != 0
    assert f"entry id {ids[6]} (sequence 7)" in result.output and "missing" in result.output


def test_a_rewritten_hash_does_not_hide_an_edit(ctx):
    """Editing an entry and recomputing nothing but its own hash still breaks the link to the next one."""
    ids = _record_many(6)
    entry = db.session.get(AuditEntry, ids[2])
    entry.action = "view"  # not flushed: only used to compute the forged hash
    forged = hash_of_row(entry, entry.prev_hash)
    db.session.rollback()
    _tamper("UPDATE audit_entry SET action = 'view', hash = :h WHERE id = :id", h=forged, id=ids[2])
    report = verify_chain()
    assert not report.ok and report.broken_id == ids[3] and "previous hash" in report.problem


def test_the_log_refuses_update_and_delete_even_for_its_owner_on_postgresql(ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    ids = _record_many(3)
    for sql in ("UPDATE audit_entry SET action = 'view' WHERE id = :id", "DELETE FROM audit_entry WHERE id = :id"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with db.engine.begin() as connection:
                connection.execute(sa.text(sql), {"id": ids[1]})
    assert verify_chain().count == 3


def test_concurrent_writers_make_one_unbroken_chain(app):
    with app.app_context():
        factories.small_county()
        user_ids = list(db.session.scalars(sa.select(User.id).order_by(User.id)))[:2]
    per_thread, errors, start = 15, [], threading.Barrier(2)

    def write(user_id: int) -> None:
        try:
            with app.app_context():
                user = db.session.get(User, user_id)
                start.wait()
                for n in range(per_thread):
                    record(action="update", subject="warning", subject_id=n, area_code=None, changes={"n": n},
                           user=user)
                    db.session.commit()
        except Exception as error:  # noqa: BLE001 (reported by the assertion below)
            errors.append(error)

    threads = [threading.Thread(target=write, args=(uid,)) for uid in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        report = verify_chain()
        assert report.ok and report.count == 2 * per_thread, report
        users = set(db.session.scalars(sa.select(AuditEntry.user_id)))
        assert users == set(user_ids)


def test_backdated_demo_history_still_verifies(ctx):
    factories.small_county()
    with recorded_at(datetime(2026, 1, 5, 2, tzinfo=UTC)):
        old = record(action="create", subject="creation_target", subject_id=1, area_code=None, changes={})
    record(action="start", subject="creation_target", subject_id=1, area_code=None, changes={})
    db.session.commit()
    assert db.session.get(AuditEntry, old.id).at == datetime(2026, 1, 5, 2, tzinfo=UTC)
    assert verify_chain().ok


def test_the_migration_chains_existing_entries_in_id_order(ctx):
    spec = importlib.util.spec_from_file_location("audit_chain_migration", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    ids = _record_many(7)
    # Entries written before the chain existed: unchained, with placeholder links.
    _tamper("UPDATE audit_entry SET seq = -id, prev_hash = '', hash = ''")
    assert not verify_chain().ok
    with db.engine.begin() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(sa.text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
        migration._chain_existing_rows(connection, page=3)
        if postgres:
            connection.execute(sa.text("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only"))
    report = verify_chain()
    assert report.ok and report.count == 7
    assert list(db.session.scalars(sa.select(AuditEntry.id).order_by(AuditEntry.seq))) == ids
