"""Running an all-or-nothing import from the command line."""
from __future__ import annotations

from collections.abc import Callable

import click

from .actions import commit_import
from .tabular import FileFormatError, ImportReport


def run_import(importer: Callable[[bytes], ImportReport], data: bytes, noun: str) -> None:
    try:
        report = commit_import(importer, data)
    except FileFormatError as error:
        raise click.ClickException(str(error.message)) from None
    if not report.ok:
        for error in report.errors:
            column = f"{error.column}: " if error.column else ""
            click.echo(f"line {error.line}: {column}{error.reason}", err=True)
        raise click.ClickException(f"{len(report.errors)} bad rows; nothing imported")
    click.echo(f"{report.rows} {noun} imported")
