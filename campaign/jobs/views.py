from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, abort, render_template
from flask_login import login_required

from . import runner
from .access import get_job_or_404

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def _context(job_id: str) -> dict:
    job = get_job_or_404(job_id)
    return {"job": job, "live": runner.live(job), "abandoned": runner.abandoned(job)}


@bp.get("/<job_id>")
@login_required
def show(job_id: str):
    return render_template("jobs/show.html", **_context(job_id))


@bp.get("/<job_id>/progress")
@login_required
def progress(job_id: str):
    """The part of the page that refreshes itself while the job runs (htmx polls it)."""
    return render_template("jobs/_progress.html", **_context(job_id))


@bp.get("/<job_id>/file")
@login_required
def file(job_id: str):
    job = get_job_or_404(job_id)
    if not job.finished or job.file_data is None:
        abort(404)
    return job.file_data, {
        "Content-Type": job.file_type,
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(job.file_name)}",
    }
