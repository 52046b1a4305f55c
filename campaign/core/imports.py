"""The one path every all-or-nothing import takes: the upload page, its templates, and, for a large
file, the same import run as a background job whose page shows the rows checked and then the result."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from typing import Protocol

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from campaign.accounts.models import User
from campaign.extensions import db
from campaign.jobs import runner
from campaign.jobs.models import Job

from .actions import commit_import, import_upload, status
from .exports import XLSX
from .forms import UploadForm
from .tabular import Column, ImportReport, template_csv, template_xlsx

# Progress labels the importers give their two stages.
CHECKING = _l("Checking rows")
WRITING = _l("Writing to the database")

Done = Callable[[int], str]


class Importer(Protocol):
    """Checks every row of ``data`` and writes them (flushing, never committing) when all are good."""

    def __call__(self, data: bytes, *, user: User) -> ImportReport: ...


def scoped(importer: Callable[..., ImportReport]) -> Importer:
    """An importer called as ``importer(data, scope_codes=…, user=…)``, kept to the user's area."""

    def run(data: bytes, *, user: User) -> ImportReport:
        return importer(data, scope_codes=user.scope_codes(), user=user)

    return run


def import_page(*, importer: Importer, title, done: Done, after: str, templates: list[tuple[str, str]],
                file_label: str | None = None, **page) -> ResponseReturnValue:
    """The upload page. A small file is imported at once; one larger than ``IMPORT_BACKGROUND_BYTES``
    becomes a job and the browser goes to its page. ``done(n)`` is the success message, ``after`` the
    URL of the list to go back to; ``page`` goes to the template (intro, accept)."""
    form = UploadForm()
    if file_label:
        form.file.label.text = file_label
    report = None
    if form.validate_on_submit():
        data = form.file.data.read()
        if len(data) > current_app.config["IMPORT_BACKGROUND_BYTES"]:
            job = start_import(importer, data, title=title, done=done, after=after)
            return redirect(url_for("jobs.show", job_id=job.id))
        report = import_upload(form, data, partial(importer, user=current_user))
        if report is not None and report.ok:
            flash(done(report.rows), "success")
            return redirect(after)
    return render_template("import_page.html", form=form, report=report, title=title, templates=templates,
                           **page), status(form, report)


def start_import(importer: Importer, data: bytes, *, title, done: Done, after: str) -> Job:
    """Run the import in the background as the person who started it (the job keeps their language)."""
    work = partial(_import_job, importer, data, user_id=current_user.id, done=done, after=after, again=request.path)
    return runner.start("import", title, current_user, work)


def _import_job(importer: Importer, data: bytes, *, user_id: int, done: Done, after: str,
                again: str) -> runner.Result:
    report = commit_import(partial(importer, user=db.session.get(User, user_id)), data)
    return runner.Result(message=done(report.rows) if report.ok else "",
                         outcome=job_outcome(report, back=after if report.ok else again))


def job_outcome(report: ImportReport, *, back: str) -> dict:
    """What the job page shows: the report as the ``import_report`` macro reads it, and where to go next."""
    return {"ok": report.ok, "rows": report.rows, "bad_lines": report.bad_lines,
            "errors": [asdict(error) for error in report.errors], "back": back}


def template_download(columns: list[Column], *, sheet: str, name: str, fmt: str) -> ResponseReturnValue:
    """An import's empty template with one example row, as XLSX or CSV."""
    if fmt == "xlsx":
        return template_xlsx(columns, sheet), {
            "Content-Type": XLSX, "Content-Disposition": f"attachment; filename={name}-template.xlsx"}
    if fmt == "csv":
        return template_csv(columns), {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f"attachment; filename={name}-template.csv"}
    abort(404)


def add_import_routes(bp: Blueprint, *, guard, importer: Callable[..., ImportReport], columns: list[Column],
                      sheet: str, title, done: Done, after: str) -> None:
    """The upload page and XLSX template of an import kept to the user's area (see :func:`scoped`);
    ``after`` is the endpoint of the list to go to once imported."""

    @bp.route("/import", methods=["GET", "POST"], endpoint="import_file")
    @guard
    def import_file():
        return import_page(importer=scoped(importer), title=title, done=done, after=url_for(after),
                           templates=[("Excel (.xlsx)", url_for(f"{bp.name}.import_template"))])

    @bp.get("/import/template.xlsx", endpoint="import_template")
    @guard
    def import_template():
        return template_download(columns, sheet=sheet, name=bp.name, fmt="xlsx")
