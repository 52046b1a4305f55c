"""`flask backup [PATH]` and `flask restore PATH`."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from campaign.audit.services import verify_chain
from campaign.extensions import db

from . import services


def _default_target(folder: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return folder / f"campaign-{stamp}{services.suffix_for(db.engine)}"


def _size(size: int) -> str:
    value, units = float(size), ["B", "KB", "MB", "GB", "TB"]
    while value >= 1024 and len(units) > 1:
        value, units = value / 1024, units[1:]
    return f"{value:.0f} B" if units[0] == "B" else f"{value:.1f} {units[0]}"


def _echo_counts(counts: dict[str, int]) -> None:
    width = max((len(name) for name in counts), default=0)
    for name, rows in sorted(counts.items()):
        click.echo(f"  {name:<{width}}  {rows:>10}")


def _key_files() -> list[Path]:
    return sorted(p for p in Path(current_app.instance_path).glob("*key*") if p.is_file())


@click.command("backup")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@with_appcontext
def backup_command(path: Path | None):
    """Write a consistent copy of the database to PATH (a file, or a folder for a dated file;
    default instance/backups/). SQLite: online backup. PostgreSQL: pg_dump -Fc."""
    if path is None:
        path = _default_target(Path(current_app.instance_path) / "backups")
    elif path.is_dir():
        path = _default_target(path)
    try:
        result = services.backup(db.engine, path)
    except services.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"backup written: {result.path} ({_size(result.size)})")
    _echo_counts(result.counts)
    if result.audit_head:
        click.echo(f"audit chain head: entry {result.audit_head[0]}, hash {result.audit_head[1]}")
    keys = [str(p) for p in _key_files()] + ["FLASK_SECRET_KEY / FLASK_PERSONAL_DATA_KEY if set"]
    click.echo(f"warning: keys are not in the backup ({', '.join(keys)}); back them up separately, and not next "
               "to the backup: without the personal data key the names and phones in it cannot be read", err=True)


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@with_appcontext
def restore_command(path: Path, force: bool):
    """Read a backup made by `flask backup` into the configured database (which must be empty,
    unless --force). Stop the app first."""
    try:
        services.restore(db.engine, path, force=force)
    except services.BackupError as error:
        raise click.ClickException(str(error)) from error
    db.session.remove()
    with db.engine.connect() as connection:
        counts = services.table_counts(connection)
    click.echo(f"restored {path} into {db.engine.url.render_as_string(hide_password=True)}")
    _echo_counts(counts)
    report = verify_chain()
    if not report.ok:
        raise click.ClickException(f"restored, but the audit chain is broken at entry id {report.broken_id}: "
                                   f"{report.problem}")
    click.echo(f"audit chain OK: {report.count} entries")
