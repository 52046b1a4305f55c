"""The one path every all-or-nothing import takes: the upload page, its templates, and, for a large
file, the same import run as a background job whose page shows the rows checked and then the result."""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from typing import Protocol

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SubmitField
from wtforms.validators import DataRequired

from campaign.accounts.models import User
from campaign.extensions import db
from campaign.jobs import runner
from campaign.jobs.models import Job

from .actions import commit_import, preview_import, status
from .errors import apply_to_form
from .exports import XLSX, ExportColumn, Sheet, write_xlsx
from .forms import UploadForm
from .import_plan import Plan
from .tabular import Column, FileFormatError, ImportReport, ReadNotes, accepted_names, template_csv, template_xlsx

# Progress labels the importers give their two stages.
CHECKING = _l("Checking rows")
WRITING = _l("Writing to the database")

Done = Callable[[int], str]
# Problems listed on a refused import's page; all of them are offered as a workbook.
SHOWN_ERRORS = 200
# The session's list of uploads waiting for confirmation (ids of the jobs that keep them).
UPLOADS = "import_uploads"


class Importer(Protocol):
    """Checks every row of ``data`` and returns a :class:`Plan` of what writing would do (or, for an
    importer without one, writes, flushing and never committing, when all are good). ``options`` is
    ``include_hidden=True`` when the user asked for rows hidden in Excel too; it is only given then."""

    def __call__(self, data: bytes, *, user: User, **options) -> ImportReport: ...


def scoped(importer: Callable[..., ImportReport]) -> Importer:
    """An importer called as ``importer(data, scope_codes=…, user=…)``, kept to the user's area."""

    def run(data: bytes, *, user: User, **options) -> ImportReport:
        return importer(data, scope_codes=user.scope_codes(), user=user, **options)

    return run


class ConfirmForm(FlaskForm):
    """The button under a preview: the upload it confirms is named by a token kept in the session."""

    token = HiddenField(validators=[DataRequired()])
    ignore_columns = BooleanField(_l("Import without these columns"))
    include_hidden = BooleanField(_l("Import the hidden rows too"))
    submit = SubmitField(_l("Import as shown"))


def glossary(columns: list[Column]) -> list[tuple[str, str, bool]]:
    """The import page's table of column names people may use: header, other accepted names, required."""
    return [(header, "、".join(names), col.required)
            for col, (header, names) in zip(columns, accepted_names(columns), strict=True)]


def import_page(*, importer: Importer, title, done: Done, after: str, templates: list[tuple[str, str]],
                file_label: str | None = None, **page) -> ResponseReturnValue:
    """The upload page. An upload is checked and previewed (new, changed, unchanged rows) and nothing is
    written until the user confirms; the file waits server-side, for them only. A file larger than
    ``IMPORT_BACKGROUND_BYTES`` is previewed in a job whose page offers the same confirmation.
    ``done(n)`` is the success message, ``after`` the URL of the list to go back to; ``page`` goes to the
    template (intro, accept). An importer that returns no plan (areas, boundaries) imports at once."""
    form = UploadForm()
    if file_label:
        form.file.label.text = file_label
    report, preview, notice = None, None, None
    if request.method == "POST" and "token" in request.form:
        confirm = ConfirmForm()
        if not confirm.validate_on_submit():
            abort(400)
        upload = _upload_or_404(confirm.token.data)
        kept = upload.outcome
        options = {"include_hidden": True} if confirm.include_hidden.data else {}
        run = partial(importer, user=current_user, **options)
        if bool(options) != kept.get("include_hidden", False):  # show what the rows hidden in Excel change
            report = preview_import(run, upload.file_data)
            if isinstance(report, Plan) and report.ok:
                notice = _l("The preview now counts the rows hidden in Excel too.") if options else \
                    _l("The preview now leaves out the rows hidden in Excel.")
                preview = _keep_upload(upload.file_data, report, title, replacing=upload, **options)
        elif kept.get("ignored") and not confirm.ignore_columns.data:
            notice = _l("The file has columns that no field takes. Tick the box to import without them.")
            preview = {**kept["preview"], "token": upload.id}
        elif len(upload.file_data) > current_app.config["IMPORT_BACKGROUND_BYTES"]:
            job = start_import(run, upload.file_data, title=title, done=done, after=after, expect=kept["digest"])
            _forget(upload)
            db.session.commit()
            return redirect(url_for("jobs.show", job_id=job.id))
        else:
            report = commit_import(run, upload.file_data, expect=kept["digest"])
            if report.ok and report.written:
                _forget(upload)
                db.session.commit()
                flash(done(report.rows), "success")
                return redirect(after)
            if report.ok:  # the register changed since the preview: show what the import would do now
                notice = _l("The records changed since the preview. Check the new preview and confirm again.")
                preview = _keep_upload(upload.file_data, report, title, replacing=upload, **options)
    elif form.validate_on_submit():
        data = form.file.data.read()
        if len(data) > current_app.config["IMPORT_BACKGROUND_BYTES"]:
            job = start_preview(importer, data, title=title, done=done, after=after)
            return redirect(url_for("jobs.show", job_id=job.id))
        report = _check(form, data, partial(importer, user=current_user))
        if report is not None and report.ok and not isinstance(report, Plan):
            flash(done(report.rows), "success")
            return redirect(after)
        if isinstance(report, Plan) and report.ok:
            preview = _keep_upload(data, report, title)
    return render_template("import_page.html", form=form, report=report and summary(report), title=title,
                           preview=preview, notice=notice, templates=templates,
                           errors_download=_errors_download(report, title), **page), status(form, report)


def _check(form, data: bytes, importer) -> ImportReport | None:
    """A planning importer previewed (nothing written); any other imported at once, as before."""
    try:
        return check_or_import(importer, data)
    except FileFormatError as error:
        apply_to_form(form, error)
        return None


def check_or_import(importer, data: bytes) -> ImportReport:
    try:
        report = importer(data)
    except BaseException:
        db.session.rollback()
        raise
    if report.ok and not isinstance(report, Plan):
        db.session.commit()
    else:
        db.session.rollback()
    return report


def _keep_upload(data: bytes, plan: Plan, title, replacing: Job | None = None, include_hidden: bool = False) -> dict:
    """Keep the uploaded file as a finished job of its uploader, named in their session, until confirmed."""
    if replacing is not None:
        _forget(replacing)
    job = runner.keep("import-upload", title, current_user, runner.Result(
        file_data=data, outcome=kept_outcome(plan, include_hidden=include_hidden)))
    _remember(job.id)
    db.session.commit()
    return {**job.outcome["preview"], "token": job.id}


def kept_outcome(plan: Plan, *, include_hidden: bool = False) -> dict:
    """What a kept upload remembers of its preview: its digest, the options it was made with, and itself."""
    ignored = [str(column) for column in plan.notes.ignored_columns] if plan.notes else []
    return {"digest": plan.digest(), "include_hidden": include_hidden, "ignored": ignored,
            "preview": preview_summary(plan, token="", include_hidden=include_hidden)}


def _remember(token: str) -> None:
    session[UPLOADS] = [*session.get(UPLOADS, [])[-9:], token]


def _forget(upload: Job) -> None:
    session[UPLOADS] = [t for t in session.get(UPLOADS, []) if t != upload.id]
    db.session.delete(upload)


def _upload_or_404(token: str) -> Job:
    """The upload this person previewed in this session, or 404 (another user, another session, used)."""
    if token not in session.get(UPLOADS, []):
        abort(404)
    job = db.session.get(Job, token)
    if job is None or job.user_id != current_user.id or job.kind not in ("import-upload", "import-preview") \
            or job.file_data is None or not (job.outcome or {}).get("digest"):
        abort(404)
    return job


def preview_summary(plan: Plan, *, token: str, include_hidden: bool = False) -> dict:
    """The preview as the ``import_preview`` macro reads it (the first ``SHOWN_ERRORS`` changed rows), with
    what the reader left out: columns no field takes, rows hidden in Excel, sheets read and not read."""
    notes = plan.notes or ReadNotes()
    return {"new": plan.new, "changed": len(plan.changes), "unchanged": plan.unchanged, "token": token,
            "changes": [{"line": c.line, "label": c.label, "fields": [vars(f) for f in c.fields]}
                        for c in plan.changes[:SHOWN_ERRORS]],
            "ignored_columns": [str(c) for c in notes.ignored_columns],
            "hidden_lines": [_line(line) for line in notes.hidden_lines[:SHOWN_ERRORS]],
            "hidden_count": len(notes.hidden_lines), "include_hidden": include_hidden,
            "sheets": [str(name) for name in notes.sheets], "other_sheets": [str(n) for n in notes.other_sheets],
            "example_lines": [_line(line) for line in notes.example_lines]}


def _line(line: int) -> str:
    sheet = getattr(line, "sheet", "")
    return f"{sheet} {int(line)}" if sheet else str(int(line))


def start_preview(importer: Importer, data: bytes, *, title, done: Done, after: str) -> Job:
    """Check a large file in the background; its job keeps the file and shows the preview to confirm.
    (An importer without a plan imports at once, as before.)"""
    work = partial(_preview_job, importer, data, user_id=current_user.id, done=done, after=after, again=request.path)
    job = runner.start("import-preview", title, current_user, work,
                       time_limit=current_app.config["IMPORT_TIME_LIMIT"])
    _remember(job.id)
    return job


def _preview_job(importer: Importer, data: bytes, *, user_id: int, done: Done, after: str,
                 again: str) -> runner.Result:
    report = check_or_import(partial(importer, user=db.session.get(User, user_id)), data)
    if not isinstance(report, Plan) or not report.ok:
        written = report.ok and not isinstance(report, Plan)
        return runner.Result(message=done(report.rows) if written else "",
                             outcome=job_outcome(report, back=after if written else again),
                             **(errors_file(report) if len(report.errors) > SHOWN_ERRORS else {}))
    return runner.Result(file_data=data, outcome={**job_outcome(report, back=again), **kept_outcome(report),
                                                  "confirm": again})


def start_import(importer: Importer, data: bytes, *, title, done: Done, after: str, expect: str | None = None) -> Job:
    """Run the import in the background as the person who started it (the job keeps their language)."""
    work = partial(_import_job, importer, data, user_id=current_user.id, done=done, after=after, again=request.path,
                   expect=expect)
    return runner.start("import", title, current_user, work, time_limit=current_app.config["IMPORT_TIME_LIMIT"])


def _import_job(importer: Importer, data: bytes, *, user_id: int, done: Done, after: str,
                again: str, expect: str | None = None) -> runner.Result:
    report = commit_import(partial(importer, user=db.session.get(User, user_id)), data, expect=expect)
    written = report.ok and (not isinstance(report, Plan) or report.written)
    message = done(report.rows) if written else (
        str(_l("The records changed since the preview; nothing was written. Upload the file again."))
        if report.ok else "")
    return runner.Result(message=message, outcome=job_outcome(report, back=after if written else again),
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
                           templates=[("Excel (.xlsx)", url_for(f"{bp.name}.import_template"))],
                           glossary=glossary(columns))

    @bp.get("/import/template.xlsx", endpoint="import_template")
    @guard
    def import_template():
        return template_download(columns, sheet=sheet, name=bp.name, fmt="xlsx")
