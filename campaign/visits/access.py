"""The one way views read visits: those of households inside the current user's scope.

At city scale (6 million visits) the shape of the query decides its speed, so it is chosen here by
the size of the area: see ``visits_query``. The indexes the visits table leans on are declared here
too (migration c1a0a0000013), beside the queries that need them."""
from __future__ import annotations

import sqlalchemy as sa

from campaign.areas.models import Area
from campaign.areas.scope import within, within_any
from campaign.households.models import Household

from .models import Visit

# An area with at most this many households (a township, a village, a grid) is read through its
# households' visits, an index lookup per household; a wider one is checked visit by visit.
NARROW_HOUSEHOLDS = 25_000

# Each walks the visits of one kind newest first and stops after a page: the time itself, an outcome,
# a GPS class, and the two rare signals (partial indexes, a few per cent of the visits).
TABLE_INDEXES = (
    sa.Index("ix_visit_time", Visit.visited_at, Visit.id),
    sa.Index("ix_visit_outcome_time", Visit.outcome, Visit.visited_at),
    sa.Index("ix_visit_geo_time", Visit.geo, Visit.visited_at),
    sa.Index("ix_visit_review_time", Visit.review_state, Visit.visited_at),  # migration c1a0a0000014
    sa.Index("ix_visit_too_fast_time", Visit.visited_at, sqlite_where=sa.text("too_fast = 1"),
             postgresql_where=sa.text("too_fast")),
    sa.Index("ix_visit_untrusted_time", Visit.visited_at, sqlite_where=sa.text("time_trusted = 0"),
             postgresql_where=sa.text("NOT time_trusted")),
)


def is_narrow(area: Area | None) -> bool:
    return area is not None and area.household_count <= NARROW_HOUSEHOLDS


def visits_query(user, *, area: Area | None = None) -> sa.Select:
    """Visits to households the user may see (and inside ``area``), as a query on ``visit`` alone, so
    that filters and orders pick their own indexes; join ``Household`` and ``Area`` to show or sort.

    A narrow area is read through its households (``household_id IN …``: a few thousand index
    lookups, then a sort). In a wide one each visit's grid is looked up (``EXISTS``), which suits a
    walk along a time index that stops after a page, where most visits match."""
    households = (sa.select(Household.id).join(Area, Area.id == Household.grid_id)
                  .where(within_any(Area.code, user.scope_codes())))
    if area is not None:
        households = households.where(within(Area.code, area.code))
    if is_narrow(area):
        return sa.select(Visit).where(Visit.household_id.in_(households))
    return sa.select(Visit).where(households.where(Household.id == Visit.household_id).exists())
