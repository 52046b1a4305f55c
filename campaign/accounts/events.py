"""Security events in the audit log (等保 2.0 安全审计): log-ins, log-outs, password and second-factor
changes, accounts made or changed, and a county's security settings. Failed log-ins stay in the
log-in trail (``LoginAttempt``); a failure against an existing account is also entered here."""
from __future__ import annotations

from campaign.audit.services import record

from .models import User

SUBJECT = "user"


def area_of(user: User) -> str | None:
    """The area the account belongs to, so that each county reads only its own people's events."""
    if user.area is not None:
        return user.area.code
    return user.grids[0].code if user.grids else None


def security_event(user: User, action: str, *, by: User | None = None, ip: str = "", **changes) -> None:
    """``action`` happened to ``user``, done by ``by`` (the user themself when not given)."""
    values = {name: [None, value] for name, value in changes.items()}
    if ip:
        values["ip"] = [None, ip]
    record(action=action, subject=SUBJECT, subject_id=user.id, area_code=area_of(user), changes=values,
           user=by or user)
