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
from .import_plan import Plan, apply_plan
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


def commit_import(importer: Callable[[bytes], ImportReport], data: bytes, *,
                  expect: str | None = None) -> ImportReport:
    """Run an all-or-nothing import: commit when every row is good; otherwise, or when anything
    fails half-way through writing, roll back so that nothing is written. An importer that returns a
    :class:`Plan` has written nothing yet: its plan is applied here, and only when its digest is
    ``expect`` (what the preview showed) if that is given."""
    try:
        report = importer(data)
        if isinstance(report, Plan) and (expect is None or report.digest() == expect):
            apply_plan(report)
    except BaseException:
        db.session.rollback()
        raise
    if report.ok and (not isinstance(report, Plan) or report.written):
        db.session.commit()
    else:
        db.session.rollback()
    return report


def preview_import(importer: Callable[[bytes], ImportReport], data: bytes) -> ImportReport:
    """What the import would do, with nothing written (an importer without a plan is only checked
    by running it and rolling back)."""
    try:
        return importer(data)
    finally:
        db.session.rollback()


def import_upload(form, data: bytes, importer: Callable[[bytes], ImportReport], *,
                  preview: bool = False) -> ImportReport | None:
    """Import (or with ``preview`` only check) an uploaded file; a file that cannot be read at all is
    shown next to the file field."""
    try:
        return preview_import(importer, data) if preview else commit_import(importer, data)
    except FileFormatError as error:
        apply_to_form(form, error)
        return None


def status(form, report: ImportReport | None = None) -> int:
    """400 when the page shows errors, so scripts and tests can tell refusal from success."""
    return 400 if form.errors or (report is not None and not report.ok) else 200
