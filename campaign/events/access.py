"""The one way views fetch events and their photos: inside the user's area, or 404."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

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


def get_event_or_404(event_id: int, user=None) -> PublicityEvent:
    event = db.session.scalar(events_query(user).where(PublicityEvent.id == event_id))
    if event is None:
        abort(404)
    return event


def get_photo_or_404(event_id: int, photo_id: int, user=None) -> EventPhoto:
    event = get_event_or_404(event_id, user)
    photo = next((p for p in event.photos if p.id == photo_id), None)
    if photo is None:
        abort(404)
    return photo
