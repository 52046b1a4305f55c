"""Operations on people and log-in. They flush, never commit."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area, AreaLevel
from campaign.core.errors import DomainError
from campaign.core.text import clean, clean_phone, is_valid_phone
from campaign.core.types import utcnow
from campaign.extensions import db

from .models import ROLE_AREA_LEVELS, LoginAttempt, Role, User

MIN_PASSWORD = 8


class Throttled(DomainError):
    """Too many failed log-ins; the user must wait."""


def get_by_username(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _recent_failures(column, value: str) -> int:
    since = utcnow() - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    last_success = (sa.select(sa.func.max(LoginAttempt.at))
                    .where(column == value, LoginAttempt.success.is_(True)).scalar_subquery())
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(LoginAttempt).where(
            column == value, LoginAttempt.success.is_(False), LoginAttempt.at >= since,
            sa.or_(last_success.is_(None), LoginAttempt.at > last_success)))


def authenticate(*, username: str, password: str, ip: str) -> User:
    """The user with these credentials. Failures are recorded; too many of them lock the name out."""
    username = clean(username)
    config = current_app.config
    if (_recent_failures(LoginAttempt.username, username) >= config["LOGIN_MAX_FAILURES"]
            or _recent_failures(LoginAttempt.ip, ip) >= config["LOGIN_MAX_FAILURES_PER_IP"]):
        minutes = config["LOGIN_WINDOW_SECONDS"] // 60
        raise Throttled(_l("Too many failed log-ins. Try again in %(minutes)s minutes.", minutes=minutes))
    user = get_by_username(username)
    ok = user is not None and user.check_password(password) and user.is_active
    db.session.add(LoginAttempt(username=username[:64], ip=ip[:45], success=ok))
    if not ok:
        db.session.flush()
        raise DomainError(_l("Wrong user name or password."), field="password")
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise DomainError(_l("A password needs at least %(n)s characters.", n=MIN_PASSWORD), field="password")


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
                area: Area | None = None, grids: list[Area] | None = None, phone: str = "") -> User:
    username = clean(username)
    if not username or len(username) > 64 or " " in username:
        raise DomainError(_l("A user name has 1 to 64 characters and no spaces."), field="username")
    if get_by_username(username) is not None:
        raise DomainError(_l("The user name %(name)s is taken.", name=username), field="username")
    _check_password(password)
    user = User(username=username, display_name=clean(display_name) or username, role=role)
    _assign(user, role=role, area=area, grids=grids or [], phone=phone)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, *, display_name: str, role: Role, area: Area | None, grids: list[Area],
                phone: str, active: bool, password: str = "") -> User:
    user.display_name = clean(display_name) or user.username
    _assign(user, role=role, area=area, grids=grids, phone=phone)
    user.active = active
    if password:
        _check_password(password)
        user.set_password(password)
    db.session.flush()
    return user


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
