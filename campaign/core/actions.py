"""The commit-once step that form views share: run the service, then commit, or roll back and
show the domain error next to its field."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash

from campaign.extensions import db

from .errors import DomainError, apply_to_form
from .forms import EmptyForm
from .tabular import FileFormatError, ImportReport


@dataclass
class Saved:
    ok: bool
    value: Any = None


def save(form, operation: Callable[[], Any]) -> Saved:
    try:
        value = operation()
    except DomainError as error:
        db.session.rollback()
        apply_to_form(form, error)
        return Saved(False)
    db.session.commit()
    return Saved(True, value)


def press(operation: Callable[[], Any], *, done: str) -> bool:
    """A POST-only button (delete, remove): CSRF checked, the service run and committed, then
    ``done`` flashed, or every domain error flashed and nothing changed. True when it went through."""
    form = EmptyForm()
    if not form.validate_on_submit():
        return False
    if save(form, operation).ok:
        flash(done, "success")
        return True
    for message in form.form_errors:
        flash(message, "danger")
    return False


def commit_import(importer: Callable[[bytes], ImportReport], data: bytes) -> ImportReport:
    """Run an all-or-nothing import: commit when every row is good; otherwise, or when anything
    fails half-way through writing, roll back so that nothing is written."""
    try:
        report = importer(data)
    except BaseException:
        db.session.rollback()
        raise
    if report.ok:
        db.session.commit()
    else:
        db.session.rollback()
    return report


def import_upload(form, data: bytes, importer: Callable[[bytes], ImportReport]) -> ImportReport | None:
    """Import an uploaded file; a file that cannot be read at all is shown next to the file field."""
    try:
        return commit_import(importer, data)
    except FileFormatError as error:
        apply_to_form(form, error)
        return None


def status(form, report: ImportReport | None = None) -> int:
    """400 when the page shows errors, so scripts and tests can tell refusal from success."""
    return 400 if form.errors or (report is not None and not report.ok) else 200
