"""Events: checked input, cleaned photos, every change audited. Flush, never commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area
from campaign.areas.scope import within
from campaign.audit.services import apply_changes, diff, record, snapshot
from campaign.core.clock import local_today
from campaign.core.errors import DomainError
from campaign.core.text import clean_text
from campaign.extensions import db

from .models import MAX_PHOTOS, EventKind, EventPhoto, PublicityEvent
from .photos import clean_photos

# An uploaded photo: its file name and bytes, or the bytes alone.
Upload = tuple[str, bytes] | bytes


@dataclass
class EventFields:
    kind: EventKind
    held_on: date
    target: str
    attendees: int
    materials: int
    organiser: str
    note: str
    app_installs: int = 0
    target_id: int | None = None


def check_fields(*, kind: EventKind, held_on: date | None, target: str, attendees, materials, organiser: str,
                 note: str, app_installs=0, target_id: int | None = None) -> EventFields:
    if held_on is None:
        raise DomainError(_l("Give the date of the event."), field="held_on")
    if held_on > local_today():
        raise DomainError(_l("The date is in the future."), field="held_on")
    counts = {}
    for name, value in (("attendees", attendees), ("materials", materials), ("app_installs", app_installs)):
        if value is None:
            value = 0
        if not isinstance(value, int) or not 0 <= value <= 100_000:
            raise DomainError(_l("Give a whole number from 0 to 100,000."), field=name)
        counts[name] = value
    return EventFields(kind, held_on, clean_text(target)[:100], counts["attendees"], counts["materials"],
                       clean_text(organiser)[:60], clean_text(note)[:500], counts["app_installs"], target_id)


def _add_photos(event: PublicityEvent, uploads: list[Upload]) -> None:
    """Counted first, then checked all together against the pixel budget of the request."""
    if len(event.photos) + len(uploads) > MAX_PHOTOS:
        raise DomainError(_l("An event has at most %(n)s photos.", n=MAX_PHOTOS), field="photos")
    named = [upload if isinstance(upload, tuple) else ("", upload) for upload in uploads]
    for photo in clean_photos(named):
        event.photos.append(EventPhoto(content=photo.content, width=photo.width, height=photo.height))


def create_event(*, area: Area, fields: EventFields, photos: list[Upload] = (), user=None) -> PublicityEvent:
    event = PublicityEvent(area=area, created_by_id=user.id if user else None, **vars(fields))
    _add_photos(event, list(photos))
    db.session.add(event)
    db.session.flush()
    record(action="create", subject="event", subject_id=event.id, area_code=area.code, user=user,
           changes={**diff({}, snapshot(event, PublicityEvent.AUDITED)), "photos": [0, len(event.photos)]})
    return event


def update_event(event: PublicityEvent, *, area: Area, fields: EventFields, photos: list[Upload] = (),
                 user=None) -> PublicityEvent:
    count = len(event.photos)
    changes = apply_changes(event, {"area": area, **vars(fields)}, PublicityEvent.AUDITED)
    _add_photos(event, list(photos))
    db.session.flush()
    if len(event.photos) != count:
        changes["photos"] = [count, len(event.photos)]
    if changes:
        record(action="update", subject="event", subject_id=event.id, area_code=area.code, changes=changes, user=user)
    return event


def remove_photo(event: PublicityEvent, photo: EventPhoto, user=None) -> None:
    count = len(event.photos)
    event.photos.remove(photo)
    db.session.flush()
    record(action="update", subject="event", subject_id=event.id, area_code=event.area.code, user=user,
           changes={"photos": [count, count - 1]})


def delete_event(event: PublicityEvent, user=None) -> None:
    record(action="delete", subject="event", subject_id=event.id, area_code=event.area.code, user=user,
           changes=diff(snapshot(event, PublicityEvent.AUDITED), {}))
    db.session.delete(event)
    db.session.flush()


def counts_by_area_and_kind(area: Area, start: date, end: date) -> tuple[list[tuple[Area, dict]], dict]:
    """Events per sub-area and kind over a period (and the totals per kind)."""
    children = list(db.session.scalars(sa.select(Area).where(Area.parent_id == area.id).order_by(Area.code)))
    length = len(children[0].code) if children else len(area.code)
    prefix = sa.func.substr(Area.code, 1, length).label("prefix")
    rows = db.session.execute(
        sa.select(prefix, PublicityEvent.kind, sa.func.count(),
                  sa.func.coalesce(sa.func.sum(PublicityEvent.attendees), 0))
        .join(Area, Area.id == PublicityEvent.area_id)
        .where(within(Area.code, area.code), PublicityEvent.held_on.between(start, end))
        .group_by(prefix, PublicityEvent.kind)).all()
    table: dict[str, dict] = {}
    totals: dict = {"events": 0, "attendees": 0}
    for code, kind, n, people in rows:
        table.setdefault(code, {})[kind] = int(n)
        table[code]["events"] = table[code].get("events", 0) + int(n)
        table[code]["attendees"] = table[code].get("attendees", 0) + int(people)
        totals[kind] = totals.get(kind, 0) + int(n)
        totals["events"] += int(n)
        totals["attendees"] += int(people)
    return [(child, table.get(child.code, {})) for child in children], totals
