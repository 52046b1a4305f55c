"""Backups (备份): a consistent copy of the configured database, and reading one back.

SQLite uses its online backup API, which copies a consistent snapshot while the app keeps running.
PostgreSQL uses pg_dump in custom format inside an exported snapshot, so that the row counts
printed are those of the dump itself; pg_restore reads it back.
Keys kept outside the database (instance/secret_key, instance/personal_data_key) are not in the copy.
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from campaign.extensions import db


class BackupError(Exception):
    """A backup or restore that cannot be done, with the reason a person can act on."""


@dataclass
class Backup:
    path: Path
    size: int
    counts: dict[str, int] = field(default_factory=dict)
    audit_head: tuple[int, str] | None = None  # (sequence, hash) of the last audit entry


def suffix_for(engine: sa.Engine) -> str:
    return ".sqlite" if engine.dialect.name == "sqlite" else ".dump"


def table_counts(connection: sa.Connection) -> dict[str, int]:
    """Rows in each of the app's tables (a table that does not exist yet counts as absent)."""
    present = set(sa.inspect(connection).get_table_names())
    return {table.name: connection.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables if table.name in present}


def audit_head(connection: sa.Connection) -> tuple[int, str] | None:
    """The chain's last link: write it down elsewhere and a rewritten log cannot pass for this one."""
    if "audit_entry" not in sa.inspect(connection).get_table_names():
        return None
    row = connection.execute(sa.text("SELECT seq, hash FROM audit_entry ORDER BY seq DESC LIMIT 1")).first()
    return (row.seq, row.hash) if row else None


def is_empty(engine: sa.Engine) -> bool:
    with engine.connect() as connection:
        return not any(table_counts(connection).values())


def backup(engine: sa.Engine, target: Path) -> Backup:
    """Write a consistent copy of the database to ``target`` (through a temporary file, then renamed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        if engine.dialect.name == "sqlite":
            result = _backup_sqlite(engine, partial)
        elif engine.dialect.name == "postgresql":
            result = _backup_postgres(engine, partial)
        else:
            raise BackupError(f"no backup method for {engine.dialect.name}")
        os.chmod(partial, 0o600)  # it holds personal data
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    result.path, result.size = target, target.stat().st_size
    return result


def restore(engine: sa.Engine, source: Path, *, force: bool = False) -> None:
    """Replace the configured database with the copy in ``source``; refused unless it is empty or forced."""
    if not force and not is_empty(engine):
        raise BackupError("the target database already holds data; use --force to replace it")
    engine.dispose()  # no pooled connection of ours holds the old tables
    if engine.dialect.name == "sqlite":
        _restore_sqlite(engine, source)
    elif engine.dialect.name == "postgresql":
        _restore_postgres(engine, source)
    else:
        raise BackupError(f"no restore method for {engine.dialect.name}")
    engine.dispose()


# SQLite ------------------------------------------------------------------------------------------

def _sqlite_file(engine: sa.Engine) -> str:
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file::memory:"):
        raise BackupError("the database is in memory; there is nothing on disk to back up")
    return name


def _backup_sqlite(engine: sa.Engine, partial: Path) -> Backup:
    source = sqlite3.connect(_sqlite_file(engine), timeout=30)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)  # all pages in one step: one consistent snapshot
    finally:
        copy.close()
        source.close()
    copy_engine = sa.create_engine(f"sqlite:///{partial}", poolclass=sa.pool.NullPool)
    try:
        with copy_engine.connect() as connection:
            return Backup(path=partial, size=0, counts=table_counts(connection), audit_head=audit_head(connection))
    finally:
        copy_engine.dispose()


def _restore_sqlite(engine: sa.Engine, source: Path) -> None:
    try:
        copy = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        tables = {name for (name,) in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{source} is not an SQLite backup: {error}") from error
    if "alembic_version" not in tables:
        copy.close()
        raise BackupError(f"{source} is not a backup of this app (no alembic_version table)")
    target = sqlite3.connect(_sqlite_file(engine), timeout=30)
    try:
        copy.backup(target)  # page by page into the live file, under SQLite's own locking
    finally:
        target.close()
        copy.close()


# PostgreSQL --------------------------------------------------------------------------------------

def _tool(name: str, server_major: int) -> str:
    """The path of pg_dump or pg_restore, refused when missing or older than the server."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client "
                          f"(Debian: apt-get install postgresql-client-{server_major})")
    output = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"\)\s*(\d+)", output) or re.search(r"(\d+)\.\d+", output)
    major = int(match.group(1)) if match else 0
    if major < server_major:
        raise BackupError(f"{name} is version {major} but the server is PostgreSQL {server_major}: "
                          f"install postgresql-client-{server_major} (an older {name} cannot read a newer server)")
    return path


def _server_major(connection: sa.Connection) -> int:
    return int(connection.scalar(sa.text("SHOW server_version_num"))) // 10000


def _libpq(engine: sa.Engine) -> tuple[str, dict[str, str]]:
    """A connection URI without the password (which goes through the environment, not the process list)."""
    url = engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _backup_postgres(engine: sa.Engine, partial: Path) -> Backup:
    uri, env = _libpq(engine)
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            pg_dump = _tool("pg_dump", _server_major(connection))
            snapshot = connection.scalar(sa.text("SELECT pg_export_snapshot()"))
            counts, head = table_counts(connection), audit_head(connection)
            # The snapshot stays valid while this transaction is open: the dump sees exactly these rows.
            _run([pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}",
                  f"--file={partial}", f"--dbname={uri}"], env)
    return Backup(path=partial, size=0, counts=counts, audit_head=head)


def _restore_postgres(engine: sa.Engine, source: Path) -> None:
    uri, env = _libpq(engine)
    with engine.connect() as connection:
        pg_restore = _tool("pg_restore", _server_major(connection))
    _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
          "--no-password", f"--dbname={uri}", str(source)], env)
