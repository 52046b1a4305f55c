"""Role checks for views. Area checks live with each resource's own access helper."""
from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import abort
from flask_login import current_user, login_required

from campaign.areas.models import Area
from campaign.areas.scope import within_any
from campaign.extensions import db

from .models import Role, User, user_grid


def roles_required(*roles: Role):
    """Log-in required, and one of these roles; anyone else gets 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


county_required = roles_required(Role.COUNTY)
managers_required = roles_required(Role.COUNTY, Role.OFFICIAL)

# Offices in the order they stand, for records that remember who recorded them.
RANKS = {Role.WORKER: 0, Role.OFFICIAL: 1, Role.COUNTY: 2}


def may_change_record(created_by_id: int | None, user=None) -> bool:
    """Whoever recorded a record (event, incident), and the offices at or above the recorder's
    level, may edit or delete it: a grid worker only their own, an official not what the county
    office recorded. A record without a recorder (account removed) belongs to the offices."""
    user = user or current_user
    if created_by_id == user.id:
        return True
    if user.role is Role.WORKER:
        return False
    recorder = db.session.get(User, created_by_id) if created_by_id else None
    return recorder is None or RANKS[user.role] >= RANKS[recorder.role]


def users_query():
    """People whose area or grids lie inside the county office's own area."""
    prefixes = current_user.scope_codes()
    in_grids = (sa.select(user_grid.c.user_id).join(Area, Area.id == user_grid.c.area_id)
                .where(within_any(Area.code, prefixes)))
    return (sa.select(User).outerjoin(User.area)
            .where(sa.or_(within_any(Area.code, prefixes), User.id.in_(in_grids)))
            .order_by(User.role, User.username))


def get_user_or_404(user_id: int) -> User:
    return db.first_or_404(users_query().where(User.id == user_id))
