"""The one way views read visits: those of households inside the current user's scope."""
from __future__ import annotations

import sqlalchemy as sa

from campaign.areas.models import Area
from campaign.areas.scope import within, within_any
from campaign.households.models import Household

from .models import Visit


def visits_query(user, *, area: Area | None = None) -> sa.Select:
    """Visits to households the user may see, optionally inside one area. The household is joined as
    ``Household`` and its grid as ``Area``."""
    query = (sa.select(Visit).join(Household, Household.id == Visit.household_id)
             .join(Area, Area.id == Household.grid_id)
             .where(within_any(Area.code, user.scope_codes())))
    if area is not None:
        query = query.where(within(Area.code, area.code))
    return query
