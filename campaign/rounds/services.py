"""Rounds: creation, safe changes, and which round is current. Flush, never commit."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area
from campaign.core.clock import local_date, local_today
from campaign.core.errors import DomainError
from campaign.extensions import db

from .models import Round


def ancestor_codes(code: str) -> list[str]:
    """The code itself and every division code above it (4, 6, 9, 12 digits)."""
    return [code[:n] for n in (4, 6, 9, 12) if n <= len(code)] + ([code] if len(code) > 12 else [])


def rounds_for(code: str) -> sa.Select:
    """Rounds whose area contains the area with this code, newest first."""
    return (sa.select(Round).join(Round.area).where(Area.code.in_(ancestor_codes(code)))
            .order_by(Round.starts_on.desc(), Round.id.desc()))


def current_round(code: str, *, today: date | None = None) -> Round | None:
    """The round in progress today for the area with this code."""
    today = today or local_today()
    return db.session.scalar(rounds_for(code).where(Round.starts_on <= today, Round.ends_on >= today).limit(1))


def visit_span(round_: Round) -> tuple[date, date] | None:
    """Local dates of the first and last visit logged in the round, if any."""
    from campaign.visits.models import Visit

    first, last = db.session.execute(
        sa.select(sa.func.min(Visit.visited_at), sa.func.max(Visit.visited_at)).where(Visit.round_id == round_.id)
    ).one()
    if first is None:
        return None
    return local_date(first), local_date(last)


def _check(area: Area, name: str, starts_on: date, ends_on: date, *, exclude_id: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise DomainError(_l("Give the round a name."), field="name")
    if ends_on < starts_on:
        raise DomainError(_l("The round cannot end before it starts."), field="ends_on")
    overlap = sa.select(Round).where(Round.area_id == area.id, Round.starts_on <= ends_on, Round.ends_on >= starts_on)
    if exclude_id is not None:
        overlap = overlap.where(Round.id != exclude_id)
    clash = db.session.scalar(overlap.limit(1))
    if clash is not None:
        raise DomainError(_l("The dates overlap the round %(name)s (%(start)s to %(end)s).",
                             name=clash.name, start=clash.starts_on, end=clash.ends_on), field="starts_on")
    return name


def create_round(*, area: Area, name: str, starts_on: date, ends_on: date, created_by=None) -> Round:
    name = _check(area, name, starts_on, ends_on)
    round_ = Round(area=area, name=name, starts_on=starts_on, ends_on=ends_on,
                   created_by_id=created_by.id if created_by else None)
    db.session.add(round_)
    db.session.flush()
    return round_


def update_round(round_: Round, *, name: str, starts_on: date, ends_on: date) -> Round:
    """Rename or re-date a round; dates may not move past visits already logged in it."""
    name = _check(round_.area, name, starts_on, ends_on, exclude_id=round_.id)
    span = visit_span(round_)
    if span and (starts_on > span[0] or ends_on < span[1]):
        raise DomainError(_l("Visits are logged from %(first)s to %(last)s; the round must include those days.",
                             first=span[0], last=span[1]), field="starts_on")
    round_.name, round_.starts_on, round_.ends_on = name, starts_on, ends_on
    db.session.flush()
    return round_


def delete_round(round_: Round) -> None:
    if visit_span(round_):
        raise DomainError(_l("Visits are logged in this round; it cannot be deleted."))
    db.session.delete(round_)
    db.session.flush()
