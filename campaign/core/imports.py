"""The two routes every all-or-nothing import has: the upload page and its XLSX template."""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from .actions import import_upload, status
from .forms import UploadForm
from .tabular import Column, ImportReport, template_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def add_import_routes(bp: Blueprint, *, guard, importer: Callable[..., ImportReport], columns: list[Column],
                      sheet: str, title, done: Callable[[int], str], after: str) -> None:
    """``importer(data, scope_codes=…, user=…)``; ``done(n)`` is the success message; ``after`` the
    endpoint to go to once imported."""

    @bp.route("/import", methods=["GET", "POST"], endpoint="import_file")
    @guard
    def import_file():
        form = UploadForm()
        report = None
        if form.validate_on_submit():
            report = import_upload(form, lambda data: importer(
                data, scope_codes=current_user.scope_codes(), user=current_user))
            if report and report.ok:
                flash(done(report.rows), "success")
                return redirect(url_for(after))
        return render_template("import_page.html", form=form, report=report, title=title,
                               templates=[("Excel (.xlsx)", url_for(f"{bp.name}.import_template"))]), \
            status(form, report)

    @bp.get("/import/template.xlsx", endpoint="import_template")
    @guard
    def import_template():
        return template_xlsx(columns, sheet), {
            "Content-Type": XLSX, "Content-Disposition": f"attachment; filename={bp.name}-template.xlsx"}
