"""The one path every all-or-nothing import takes: the upload page, its templates, and, for a large
file, the same import run as a background job whose page shows the rows checked and then the result."""
from __future__ import annotations

import io
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
from .exports import XLSX, ExportColumn, Sheet, write_xlsx
from .forms import UploadForm
from .tabular import Column, ImportReport, template_csv, template_xlsx

# Progress labels the importers give their two stages.
CHECKING = _l("Checking rows")
WRITING = _l("Writing to the database")

Done = Callable[[int], str]
# Problems listed on a refused import's page; all of them are offered as a workbook.
SHOWN_ERRORS = 200


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
    return render_template("import_page.html", form=form, report=report and summary(report), title=title,
                           templates=templates, errors_download=_errors_download(report, title),
                           **page), status(form, report)


def start_import(importer: Importer, data: bytes, *, title, done: Done, after: str) -> Job:
    """Run the import in the background as the person who started it (the job keeps their language)."""
    work = partial(_import_job, importer, data, user_id=current_user.id, done=done, after=after, again=request.path)
    return runner.start("import", title, current_user, work, time_limit=current_app.config["IMPORT_TIME_LIMIT"])


def _import_job(importer: Importer, data: bytes, *, user_id: int, done: Done, after: str,
                again: str) -> runner.Result:
    report = commit_import(partial(importer, user=db.session.get(User, user_id)), data)
    return runner.Result(message=done(report.rows) if report.ok else "",
                         outcome=job_outcome(report, back=after if report.ok else again),
                         **(errors_file(report) if len(report.errors) > SHOWN_ERRORS else {}))


def summary(report: ImportReport) -> dict:
    """The report as the ``import_report`` macro reads it: the first ``SHOWN_ERRORS`` problems and their
    total, so that a file with 100,000 bad lines does not make a page of megabytes."""
    return {"ok": report.ok, "rows": report.rows, "bad_lines": report.bad_lines, "error_count": len(report.errors),
            "errors": [asdict(error) for error in report.errors[:SHOWN_ERRORS]]}


def job_outcome(report: ImportReport, *, back: str) -> dict:
    """What the job page shows: the report's summary, and where to go next."""
    return {**summary(report), "back": back}


def errors_file(report: ImportReport) -> dict:
    """Every problem of the report as a workbook (line, column, problem): a job result's file fields."""
    sheet = Sheet(title=str(_l("Problems")), columns=[
        ExportColumn(str(_l("Line")), "int"), ExportColumn(str(_l("Column")), width=16),
        ExportColumn(str(_l("Problem")), width=80)],
        rows=((error.line, error.column, error.reason) for error in report.errors))
    buffer = io.BytesIO()
    write_xlsx([sheet], buffer)
    return {"file_name": f"{_l('import problems')}.xlsx", "file_type": XLSX, "file_data": buffer.getvalue()}


def _errors_download(report: ImportReport | None, title) -> str | None:
    """For a refused upload with more problems than the page shows, the link to all of them: a finished
    job of the person who uploaded it, so that nobody else can fetch it."""
    if report is None or len(report.errors) <= SHOWN_ERRORS:
        return None
    job = runner.keep("import-problems", title, current_user, runner.Result(**errors_file(report)))
    db.session.commit()
    return url_for("jobs.file", job_id=job.id)


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
