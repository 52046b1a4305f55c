"""The one way views fetch households: inside the current user's scope, or 404."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from campaign.areas.models import Area
from campaign.areas.scope import within, within_any
from campaign.extensions import db

from .models import Household
from .privacy import Search, apply_search


def households_query(user=None, *, area: Area | None = None, search: Search | None = None):
    """Households the user may see, optionally inside one area and matching a search."""
    user = user or current_user
    query = (sa.select(Household).join(Household.grid)
             .where(within_any(Area.code, user.scope_codes())))
    if area is not None:
        query = query.where(within(Area.code, area.code))
    if search is not None:
        query = apply_search(query, search)
    return query.order_by(Area.code, Household.door_label)


def get_household_or_404(household_id: int, user=None) -> Household:
    household = db.session.scalar(households_query(user).where(Household.id == household_id))
    if household is None:
        abort(404)
    return household
