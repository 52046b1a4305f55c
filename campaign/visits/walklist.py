"""A grid's walk list for a round: every household with where it stands, for the phone to cache."""
from __future__ import annotations

import re

import sqlalchemy as sa

from campaign.areas.models import Area
from campaign.extensions import db
from campaign.households.models import Household
from campaign.rounds.models import Round

from .models import RoundHousehold

_NUMBERS = re.compile(r"([0-9]+)")


def natural_key(text: str) -> list:
    """1组9号 before 1组10号. Only ASCII digits count as numbers (❶, ² and ٣ sort as text), and
    the split puts text and numbers at alternating places, so the keys always compare."""
    return [int(part) if index % 2 else part for index, part in enumerate(_NUMBERS.split(text))]


def walk_list(round_: Round, grid: Area) -> dict:
    rows = db.session.execute(
        sa.select(Household, RoundHousehold)
        .outerjoin(RoundHousehold, sa.and_(RoundHousehold.household_id == Household.id,
                                           RoundHousehold.round_id == round_.id))
        .where(Household.grid_id == grid.id)).all()
    rows.sort(key=lambda r: natural_key(r[0].door_label))
    return {
        "round": {"id": round_.id, "name": round_.name, "starts_on": round_.starts_on.isoformat(),
                  "ends_on": round_.ends_on.isoformat()},
        "grid": {"code": grid.code, "name": grid.name},
        "households": [{
            "id": h.id, "door_label": h.door_label, "head": h.masked_name, "members": h.members,
            "elderly_alone": h.elderly_alone, "at_risk": h.at_risk, "lat": h.lat, "lon": h.lon,
            "status": state.status.value if state else None, "visits": state.visits if state else 0,
            "last_visit_at": state.last_visit_at.isoformat() if state else None,
        } for h, state in rows],
    }
