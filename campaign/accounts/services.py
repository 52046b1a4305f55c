"""Operations on people and log-in. They flush, never commit."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area, AreaLevel
from campaign.audit.services import diff, record
from campaign.core.errors import DomainError
from campaign.core.text import clean_phone, clean_text, fold, is_valid_phone
from campaign.core.types import utcnow
from campaign.extensions import db

from . import throttle
from .events import area_of, security_event
from .models import ROLE_AREA_LEVELS, LoginAttempt, Role, SecurityPolicy, User
from .passwords import check_strength, check_without_user
from .throttle import Throttled  # noqa: F401  (views catch it from here)


def get_by_username(username: str) -> User | None:
    """User names are unique regardless of case, and found regardless of case."""
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.username) == username.lower()))


def authenticate(*, username: str, password: str, ip: str) -> User:
    """The user with these credentials. Every attempt is recorded; failures are throttled per
    address and per user name at that address, and a success resets nothing."""
    username = fold(username)
    throttle.check(username, ip)
    user = get_by_username(username)
    if user is None or not user.is_active:
        ok = check_without_user(password)  # as slow as a real check: the timing tells nothing
    else:
        ok = user.check_password(password)
    db.session.add(LoginAttempt(username=username[:64], ip=ip[:45], success=ok))
    db.session.flush()
    if not ok:
        throttle.failed(username, ip)
        if user is not None:
            security_event(user, "login_failed", by=user, ip=ip)
        raise DomainError(_l("Wrong user name or password."), field="password")
    return user


def record_login(user: User, *, ip: str = "") -> None:
    user.last_login_at = utcnow()
    security_event(user, "login", ip=ip)


def end_sessions(user: User) -> None:
    """Log the user out everywhere: every session and remember cookie stops working."""
    user.end_sessions()
    db.session.flush()


def change_password(user: User, *, current: str, new: str, ip: str) -> None:
    """The user's own change; a wrong current password counts as a failed log-in."""
    throttle.check(user.username, ip)
    if not user.check_password(current):
        throttle.failed(user.username, ip)
        raise DomainError(_l("The current password is wrong."), field="current")
    check_strength(new, username=user.username, field="new")
    if user.check_password(new):
        raise DomainError(_l("Choose a password different from the current one."), field="new")
    user.set_password(new)
    user.must_change_password = False
    end_sessions(user)
    security_event(user, "password_change", ip=ip)


def totp_required(user: User) -> bool:
    """County-office accounts need a second factor once their county has turned it on."""
    if not user.is_county or user.area_id is None:
        return False
    policy = db.session.get(SecurityPolicy, user.area_id)
    return policy is not None and policy.totp_required


def policy_for(area: Area) -> SecurityPolicy:
    """The county's settings; the defaults (not stored) while it has chosen none."""
    return db.session.get(SecurityPolicy, area.id) or SecurityPolicy(area_id=area.id, totp_required=False)


def set_policy(area: Area, *, totp_required: bool) -> SecurityPolicy:
    policy = db.session.get(SecurityPolicy, area.id)
    if policy is None:
        policy = SecurityPolicy(area_id=area.id)
        db.session.add(policy)
    changed = policy.totp_required != totp_required
    policy.totp_required = totp_required
    db.session.flush()
    if changed:
        record(action="update", subject="security_policy", subject_id=area.id, area_code=area.code,
               changes={"totp_required": [not totp_required, totp_required]})
    return policy


def _check_assignment(role: Role, area: Area | None, grids: list[Area]) -> None:
    if role is Role.WORKER:
        if not grids:
            raise DomainError(_l("A grid worker needs at least one grid."), field="grid_codes")
        if any(g.level is not AreaLevel.GRID for g in grids):
            raise DomainError(_l("Only grids can be assigned to a grid worker."), field="grid_codes")
    elif area is None or area.level not in ROLE_AREA_LEVELS[role]:
        levels = "、".join(level.label for level in ROLE_AREA_LEVELS[role])
        raise DomainError(_l("This role needs an area of level: %(levels)s.", levels=levels), field="area_code")


def create_user(*, username: str, display_name: str, role: Role, password: str,
                area: Area | None = None, grids: list[Area] | None = None, phone: str = "",
                must_change_password: bool = False) -> User:
    """A new account. One made by another person (the county office) must change its password
    at first log-in; one made by a command need not."""
    username = fold(username)
    if not username or len(username) > 64 or " " in username:
        raise DomainError(_l("A user name has 1 to 64 characters and no spaces."), field="username")
    if get_by_username(username) is not None:
        raise DomainError(_l("The user name %(name)s is taken.", name=username), field="username")
    check_strength(password, username=username)
    user = User(username=username, display_name=clean_text(display_name) or username, role=role,
                must_change_password=must_change_password)
    _assign(user, role=role, area=area, grids=grids or [], phone=phone)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(action="create", subject="user", subject_id=user.id, area_code=area_of(user),
           changes={"username": [None, user.username], "role": [None, role.value],
                    "must_change_password": [None, must_change_password]})
    return user


def update_user(user: User, *, display_name: str, role: Role, area: Area | None, grids: list[Area],
                phone: str, active: bool, password: str = "", must_change_password: bool | None = None,
                remove_totp: bool = False) -> User:
    """The county office's edit. A new password, deactivation or a removed second factor end
    the user's sessions; a password set by the office must be changed at the next log-in."""
    before = _account_fields(user)
    user.display_name = clean_text(display_name) or user.username
    _assign(user, role=role, area=area, grids=grids, phone=phone)
    ends = user.active and not active
    user.active = active
    if must_change_password is not None:
        user.must_change_password = must_change_password
    if password:
        check_strength(password, username=user.username)
        user.set_password(password)
        user.must_change_password = True
        ends = True
    if remove_totp and (user.totp_enabled or user.totp_secret):
        user.totp_secret, user.totp_enabled, user.totp_last_step = None, False, None
        ends = True
    if ends:
        user.end_sessions()
    db.session.flush()
    changes = diff(before, _account_fields(user))
    if password:
        changes["password_reset"] = [False, True]
    if remove_totp and before["totp_enabled"]:
        changes["totp_removed"] = [False, True]
    if changes:
        record(action="update", subject="user", subject_id=user.id, area_code=area_of(user), changes=changes)
    return user


def _account_fields(user: User) -> dict:
    """What the audit log compares when the county office edits an account (never the password)."""
    return {"display_name": user.display_name, "role": user.role.value, "active": user.active,
            "area": user.area.code if user.area else None, "grids": sorted(g.code for g in user.grids),
            "must_change_password": user.must_change_password, "totp_enabled": user.totp_enabled}


def _assign(user: User, *, role: Role, area: Area | None, grids: list[Area], phone: str) -> None:
    _check_assignment(role, area, grids)
    phone = clean_phone(phone)
    if phone and not is_valid_phone(phone):
        raise DomainError(_l("%(phone)s is not a mobile (11 digits) or landline number.", phone=phone),
                          field="phone")
    user.role = role
    user.phone = phone or None
    user.area = None if role is Role.WORKER else area
    user.grids = list(grids) if role is Role.WORKER else []
