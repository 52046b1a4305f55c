"""The one way views fetch warnings: officials and the county office see their area's, a grid
worker sees those assigned to them; anything else is 404."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from campaign.accounts.models import Role
from campaign.areas.models import Area
from campaign.areas.scope import within, within_any
from campaign.extensions import db

from .models import FraudWarning


def warnings_query(user=None, *, area: Area | None = None):
    user = user or current_user
    query = sa.select(FraudWarning).join(Area, Area.id == FraudWarning.area_id)
    if user.role is Role.WORKER:
        query = query.where(FraudWarning.assigned_to_id == user.id)
    else:
        query = query.where(within_any(Area.code, user.scope_codes()))
    if area is not None:
        query = query.where(within(Area.code, area.code))
    return query.order_by(FraudWarning.closed_at.is_not(None), FraudWarning.deadline_at)


def get_warning_or_404(warning_id: int, user=None) -> FraudWarning:
    warning = db.session.scalar(warnings_query(user).where(FraudWarning.id == warning_id))
    if warning is None:
        abort(404)
    return warning
