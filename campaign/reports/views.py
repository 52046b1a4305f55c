from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from campaign.accounts.access import county_required, managers_required
from campaign.areas.access import get_area_or_404, scope_clause
from campaign.areas.models import Area
from campaign.core.actions import save
from campaign.core.clock import local_today
from campaign.extensions import db
from campaign.jobs.access import jobs_query
from campaign.jobs.models import Job

from . import numbers, services
from .figures import REPORT_LEVELS
from .forms import DocumentSettingsForm, ReportForm

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _area_choices() -> list[tuple[str, str]]:
    areas = db.session.scalars(sa.select(Area).where(scope_clause(), Area.level.in_(REPORT_LEVELS))
                               .order_by(Area.code))
    return [(a.code, f"{a.name}（{a.level.label}）") for a in areas]


@bp.route("/", methods=["GET", "POST"])
@managers_required
def index():
    """Choose the area, the period and the format; the report is built in the background."""
    form = ReportForm()
    form.area.choices = _area_choices()
    if request.method == "GET":
        form.area.data = request.args.get("area") or (form.area.choices[0][0] if form.area.choices else "")
        form.day.data = local_today()
    if form.validate_on_submit():
        start, end = form.bounds()
        job = services.start_report(get_area_or_404(form.area.data), start, end, form.fmt.data, current_user)
        return redirect(url_for("jobs.show", job_id=job.id))
    recent = db.session.scalars(jobs_query().where(Job.kind == "report").limit(10)).all()
    return render_template("reports/index.html", form=form, recent=recent,
                           next_number=numbers.next_label(current_user.area)), 400 if form.errors else 200


@bp.route("/documents", methods=["GET", "POST"])
@county_required
def documents():
    """The county office's masthead, document prefix and next number, and the numbers given so far."""
    area = current_user.area
    settings = numbers.settings_for(area)
    form = DocumentSettingsForm(data={"office": settings.office, "prefix": settings.prefix,
                                      "next_number": numbers.next_free(settings)})
    if form.validate_on_submit() and save(form, lambda: numbers.set_settings(
            area, office=form.office.data, prefix=form.prefix.data, next_number=form.next_number.data,
            user=current_user)).ok:
        flash(_("Document settings saved."), "success")
        return redirect(url_for("reports.documents"))
    return render_template("reports/documents.html", form=form, area=area, register=numbers.register(area)), \
        400 if form.errors else 200
