"""The one way views fetch incidents: inside the user's area, or 404; to change one, also its
recorder or an office at or above the recorder's level, or 403."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from campaign.accounts.access import may_change_record
from campaign.areas.models import Area
from campaign.areas.scope import within, within_any
from campaign.extensions import db

from .models import Incident


def incidents_query(user=None, *, area: Area | None = None):
    user = user or current_user
    query = sa.select(Incident).join(Area, Area.id == Incident.village_id).where(
        within_any(Area.code, user.scope_codes()))
    if area is not None:
        query = query.where(within(Area.code, area.code))
    return query.order_by(Incident.occurred_on.desc(), Incident.id.desc())


def may_change(incident: Incident, user=None) -> bool:
    """A township official may not edit or delete what the county office recorded: the incidents
    decide its zero-incident villages."""
    return may_change_record(incident.created_by_id, user)


def get_incident_or_404(incident_id: int, user=None, *, change: bool = False) -> Incident:
    """An incident in the user's area (else 404); ``change``: one the user may also change (else 403)."""
    incident = db.session.scalar(incidents_query(user).where(Incident.id == incident_id))
    if incident is None:
        abort(404)
    if change and not may_change(incident, user):
        abort(403)
    return incident
