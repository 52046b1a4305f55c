"""`flask audit verify`: check the audit log's hash chain from the first entry to the last."""
import click
from flask.cli import AppGroup

from .services import verify_chain

audit_cli = AppGroup("audit", help="The audit log (审计日志).")


@audit_cli.command("verify")
def verify_command():
    """Check every entry's hash and link; exit non-zero at the first broken one."""
    report = verify_chain()
    if not report.ok:
        click.echo(f"BROKEN at entry id {report.broken_id} (sequence {report.broken_seq}): {report.problem}", err=True)
        click.echo(f"{report.count} entries before it are intact", err=True)
        raise SystemExit(1)
    click.echo(f"OK: {report.count} entries, chain head {report.head}")
