"""The one way views fetch areas: inside the current user's scope, or 404."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _
from flask_login import current_user

from campaign.core.errors import DomainError
from campaign.core.text import clean_code
from campaign.extensions import db

from .models import Area, AreaLevel
from .scope import within_any


def scope_clause(user=None):
    user = user or current_user
    return within_any(Area.code, user.scope_codes())


def get_area_or_404(code: str, user=None) -> Area:
    area = db.session.scalar(sa.select(Area).where(Area.code == code, scope_clause(user)))
    if area is None:
        abort(404)
    return area


def area_for_form(code: str, *, levels=None, field: str = "area_code", user=None) -> Area:
    """The area a form names by code, inside the user's scope and of one of ``levels``; otherwise a
    DomainError on that field (an area outside the scope is simply unknown)."""
    user = user or current_user
    query = sa.select(Area).where(Area.code == clean_code(code), scope_clause(user))
    if levels:
        query = query.where(Area.level.in_(list(levels)))
    area = db.session.scalar(query)
    if area is None:
        kinds = frozenset(levels or ())
        if kinds == {AreaLevel.GRID}:
            message = _("Unknown grid code %(code)s.", code=code)
        elif kinds == {AreaLevel.VILLAGE}:
            message = _("Unknown village code %(code)s.", code=code)
        elif kinds == {AreaLevel.VILLAGE, AreaLevel.GRID}:
            message = _("Unknown village or grid code %(code)s.", code=code)
        else:
            message = _("Unknown area code %(code)s.", code=code)
        raise DomainError(message, field=field)
    return area
