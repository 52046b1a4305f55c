"""The one way views fetch areas: inside the current user's scope, or 404."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from campaign.extensions import db

from .models import Area
from .scope import within_any


def scope_clause(user=None):
    user = user or current_user
    return within_any(Area.code, user.scope_codes())


def get_area_or_404(code: str, user=None) -> Area:
    area = db.session.scalar(sa.select(Area).where(Area.code == code, scope_clause(user)))
    if area is None:
        abort(404)
    return area
