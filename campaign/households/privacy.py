"""Personal data of households (个人信息保护): audited views and searches, the right of access, erasure.

Every showing of a full name or phone leaves an audit entry: who (the entry's user), when (its time),
which household (its subject), what was shown and from where (its changes). Services flush, never commit.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l

from campaign.audit.models import AuditEntry
from campaign.audit.services import record
from campaign.core.errors import DomainError
from campaign.core.text import clean_phone, clean_text, fold_digits, mask_phone
from campaign.core.types import utcnow
from campaign.extensions import db

from .models import Household, phone_digits, phone_index

MIN_PHONE_DIGITS = 7
PERSONAL_FIELDS = ("head_name", "phone")
# Where erased households keep a location: two decimals, about a kilometre, enough for no door.
COARSE_DIGITS = 2


def _from_where() -> str:
    return (request.remote_addr or "") if has_request_context() else "command line"


def audit_view(household: Household, *, via: str, shown: tuple[str, ...] = PERSONAL_FIELDS) -> None:
    """Record that ``shown`` fields of ``household`` were shown in full through ``via``."""
    present = [name for name in shown if getattr(household, name)]
    if not present:
        return
    record(action="view", subject="household", subject_id=household.id, area_code=household.grid.code,
           changes={"shown": [None, ", ".join(present)], "via": [None, via], "address": [None, _from_where()]})


@dataclass(frozen=True)
class Search:
    """What a search box holds: text (door label or name), a whole phone number, or too few digits."""

    text: str = ""
    phone: str = ""        # the digits of a whole number, when the search is a phone search
    too_short: bool = False

    @property
    def is_phone(self) -> bool:
        return bool(self.phone)


def parse_search(text: str) -> Search:
    """Digits (with spaces, dashes or +86) are a phone search; fewer than 7 digits search no phone."""
    text = clean_text(text)[:50]
    candidate = clean_phone(text)
    if candidate and all(ch.isascii() and (ch.isdigit() or ch == "-") for ch in candidate):
        digits = phone_digits(candidate)
        if len(digits) >= MIN_PHONE_DIGITS:
            return Search(phone=digits)
        if digits:
            return Search(text=text, too_short=True)
    return Search(text=text)


def apply_search(query, search: Search):
    """Text matches door labels and names; a phone matches whole numbers only, through the blind index,
    so no sequence of searches can recover a number digit by digit."""
    if search.is_phone:
        return query.where(Household.phone_index == phone_index(search.phone))
    if search.text:
        pattern = f"%{fold_digits(search.text)}%"
        return query.where(sa.or_(_digits_folded(Household.door_label).like(pattern),
                                  _digits_folded(Household.head_name).like(pattern)))
    return query


def _digits_folded(column):
    """The column with full-width digits read as ASCII, so 3栋 finds ３栋 as typed, and the other way round."""
    for digit in range(10):
        column = sa.func.replace(column, chr(0xFF10 + digit), str(digit))
    return column


def audit_phone_search(search: Search, *, area_code: str | None, found: list[int]) -> None:
    """The number searched is kept masked, with the households it found."""
    record(action="search", subject="household", subject_id=found[0] if len(found) == 1 else 0,
           area_code=area_code, changes={"phone": [None, mask_phone(search.phone)],
                                         "found": [None, ", ".join(f"#{i}" for i in found) or "0"],
                                         "address": [None, _from_where()]})


def access_report(household: Household) -> dict:
    """Everything held about one household (the right of access): its data, its visits, who viewed it."""
    from campaign.accounts.models import User
    from campaign.rounds.models import Round
    from campaign.visits.models import OUTCOME_LABELS, Visit

    visits = db.session.execute(
        sa.select(Visit, Round.name, User.display_name).join(Round, Round.id == Visit.round_id)
        .join(User, User.id == Visit.worker_id).where(Visit.household_id == household.id)
        .order_by(Visit.visited_at)).all()
    views = db.session.execute(
        sa.select(AuditEntry, User.display_name).outerjoin(User, User.id == AuditEntry.user_id)
        .where(AuditEntry.subject == "household", AuditEntry.subject_id == household.id)
        .order_by(AuditEntry.at, AuditEntry.id)).all()
    return {
        "household": {
            "id": household.id, "grid": household.grid.name, "grid_code": household.grid.code,
            "door_label": household.door_label, "head_name": household.head_name, "phone": household.phone,
            "members": household.members, "elderly_alone": household.elderly_alone, "at_risk": household.at_risk,
            "lat": household.lat, "lon": household.lon, "created_at": household.created_at.isoformat(),
            "updated_at": household.updated_at.isoformat(),
            "erased_at": household.erased_at.isoformat() if household.erased_at else None,
        },
        "visits": [{"visited_at": v.visited_at.isoformat(), "round": round_name,
                    "outcome": str(OUTCOME_LABELS[v.outcome]), "worker": worker, "people_briefed": v.people_briefed,
                    "app_installs": v.app_installs, "note": v.note} for v, round_name, worker in visits],
        "audit": [{"at": e.at.isoformat(), "who": who or "", "action": e.action,
                   "details": {k: v[1] if isinstance(v, list) and len(v) == 2 else v for k, v in e.changes.items()},
                   "reason": e.reason} for e, who in views],
    }


def audit_export(household: Household, *, fmt: str) -> None:
    record(action="export", subject="household", subject_id=household.id, area_code=household.grid.code,
           changes={"shown": [None, "head_name, phone, location, visits, audit"], "via": [None, f"access {fmt}"],
                    "address": [None, _from_where()]})


def _coarse(column):
    return sa.func.round(sa.cast(column, sa.Numeric), COARSE_DIGITS)


def erase_personal_data(household: Household, *, reason: str) -> None:
    """Erase name, phone, visit notes and exact locations for good; the row, its visits and every figure stay."""
    from campaign.visits.models import Visit

    reason = clean_text(reason)
    if not reason:
        raise DomainError(_l("Give the reason for the erasure."), field="reason")
    if household.erased_at is not None:
        raise DomainError(_l("This household's personal data has already been erased."))
    household.head_name = None
    household.phone = None
    household.lat = household.lon = None
    household.erased_at = utcnow()
    db.session.execute(
        sa.update(Visit).where(Visit.household_id == household.id)
        .values(note="", lat=_coarse(Visit.lat), lon=_coarse(Visit.lon)))
    record(action="erase", subject="household", subject_id=household.id, area_code=household.grid.code,
           changes={"erased": [None, "head_name, phone, location, visit notes"], "address": [None, _from_where()]},
           reason=reason[:500])
    db.session.flush()
