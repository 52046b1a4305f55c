"""The one way views fetch events and their photos: inside the user's area, or 404; to change one,
also its recorder or an office at or above the recorder's level, or 403."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from campaign.accounts.access import may_change_record
from campaign.areas.models import Area
from campaign.areas.scope import within, within_any
from campaign.extensions import db

from .models import EventPhoto, PublicityEvent


def events_query(user=None, *, area: Area | None = None):
    user = user or current_user
    query = sa.select(PublicityEvent).join(Area, Area.id == PublicityEvent.area_id).where(
        within_any(Area.code, user.scope_codes()))
    if area is not None:
        query = query.where(within(Area.code, area.code))
    return query.order_by(PublicityEvent.held_on.desc(), PublicityEvent.id.desc())


def may_change(event: PublicityEvent, user=None) -> bool:
    """Its recorder, and the offices above (the township's officials, the county office) may
    edit or delete an event; other workers of the area may only look at it."""
    return may_change_record(event.created_by_id, user)


def get_event_or_404(event_id: int, user=None, *, change: bool = False) -> PublicityEvent:
    """An event in the user's area (else 404); ``change``: one the user may also change (else 403)."""
    event = db.session.scalar(events_query(user).where(PublicityEvent.id == event_id))
    if event is None:
        abort(404)
    if change and not may_change(event, user):
        abort(403)
    return event


def get_photo_or_404(event_id: int, photo_id: int, user=None, *, change: bool = False) -> EventPhoto:
    event = get_event_or_404(event_id, user, change=change)
    photo = next((p for p in event.photos if p.id == photo_id), None)
    if photo is None:
        abort(404)
    return photo
