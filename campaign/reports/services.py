"""Make a report file (PDF or workbook) now, or as a background job the page follows."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _

from campaign.accounts.models import User
from campaign.areas.models import Area
from campaign.core.exports import XLSX, write_xlsx
from campaign.extensions import db
from campaign.jobs import runner
from campaign.jobs.models import Job

from .figures import build_report
from .numbers import issue_number
from .pdf import report_pdf
from .workbook import report_sheets

PDF = "application/pdf"
FORMATS = {"pdf": PDF, "xlsx": XLSX}


@dataclass(frozen=True)
class ReportFile:
    name: str
    mimetype: str
    data: bytes


def file_name(area: Area, start: date, end: date, fmt: str) -> str:
    return f"{area.name}通报_{start:%Y%m%d}-{end:%Y%m%d}.{fmt}"


def make_report(area: Area, start: date, end: date, fmt: str, *, issued_on: date | None = None,
                user=None) -> ReportFile:
    """The report for ``area`` over ``start``–``end`` as a PDF or as a workbook (a sheet per section).
    The PDF carries the report's document number, given now if it has none yet (flushed, not committed)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}")
    if fmt == "pdf":
        document = issue_number(area=area, start=start, end=end, user=user, today=issued_on)
        data = report_pdf(build_report(area, start, end, issued_on=document.issued_on), document)
    else:
        report = build_report(area, start, end, issued_on=issued_on)
        buffer = io.BytesIO()
        with force_locale("zh_CN"):
            write_xlsx(report_sheets(report), buffer)
        data = buffer.getvalue()
    return ReportFile(file_name(area, start, end, fmt), FORMATS[fmt], data)


def start_report(area: Area, start: date, end: date, fmt: str, user) -> Job:
    """Build the report in the background; the job page shows its stages and then the file. A PDF's
    document number is given here, in the request, and committed with the job."""
    area_id, user_id = area.id, user.id
    if fmt == "pdf":
        issue_number(area=area, start=start, end=end, user=user)

    def work() -> runner.Result:
        made = make_report(db.session.get(Area, area_id), start, end, fmt, user=db.session.get(User, user_id))
        return runner.Result(message=_("The report is ready."), file_name=made.name, file_type=made.mimetype,
                             file_data=made.data)

    title = _("Progress report of %(area)s, %(start)s to %(end)s", area=area.name, start=start.isoformat(),
              end=end.isoformat())
    return runner.start("report", title, user, work)
