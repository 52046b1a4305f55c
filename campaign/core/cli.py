"""Running an all-or-nothing import from the command line."""
from __future__ import annotations

from collections.abc import Callable

import click

from campaign.jobs import runner

from .actions import commit_import
from .import_plan import Plan
from .tabular import FileFormatError, ImportReport


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
            column = f"{error.column}: " if error.column else ""
            click.echo(f"line {error.line}: {column}{error.reason}", err=True)
        raise click.ClickException(f"{len(report.errors)} bad rows; nothing imported")
    if isinstance(report, Plan):
        click.echo(f"{report.rows} {noun} imported ({report.new} new, {len(report.changes)} updated, "
                   f"{report.unchanged} unchanged)")
        return
    click.echo(f"{report.rows} {noun} imported")
