from __future__ import annotations

import sqlalchemy as sa
from flask_login import current_user

from campaign.extensions import db

from .models import Job


def jobs_query():
    """A person sees only the jobs they started."""
    return sa.select(Job).where(Job.user_id == current_user.id).order_by(Job.created_at.desc())


def get_job_or_404(job_id: str) -> Job:
    return db.first_or_404(jobs_query().where(Job.id == job_id))
