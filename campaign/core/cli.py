"""Running an all-or-nothing import from the command line."""
from __future__ import annotations

from collections.abc import Callable

import click
from flask_babel import gettext as _

from campaign.jobs import runner

from .actions import commit_import
from .import_plan import Plan
from .tabular import FileFormatError, ImportReport, RowError


def echo_progress(progress: runner.Progress) -> None:
    """Each stage of long work (at most once a second within one), on stderr."""
    count = f" ({progress.done:,}/{progress.total:,})" if progress.total else ""
    click.echo(f"{progress.step}{count}", err=True)


def run_import(importer: Callable[[bytes], ImportReport], data: bytes, noun: str) -> None:
    try:
        with runner.watching(echo_progress):
            report = commit_import(importer, data)
    except FileFormatError as error:
        raise click.ClickException(str(error.message)) from None
    if not report.ok:
        for error in report.errors:
            click.echo(error_line(error), err=True)
        raise click.ClickException(_("%(count)s bad rows: nothing was imported.", count=report.bad_lines))
    if isinstance(report, Plan):
        click.echo(_("%(rows)s rows imported: %(new)s new, %(changed)s updated, %(unchanged)s unchanged.",
                     rows=report.rows, new=report.new, changed=len(report.changes), unchanged=report.unchanged))
        return
    click.echo(_("%(rows)s rows imported.", rows=report.rows))


def error_line(error: RowError) -> str:
    """One bad row as the command line prints it, in the user's language (the app's default)."""
    column = f"{error.column}: " if error.column else ""
    if error.sheet:
        return _("Sheet %(sheet)s, line %(line)s: %(reason)s", sheet=error.sheet, line=error.line,
                 reason=column + error.reason)
    return _("Line %(line)s: %(reason)s", line=error.line, reason=column + error.reason)
