"""The one way views fetch creation targets and certificates: inside the user's area, or 404."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields import SelectChoice

from campaign.areas.models import Area
from campaign.areas.scope import within, within_any
from campaign.extensions import db

from .models import Certificate, CreationTarget


def targets_query(user=None, *, area: Area | None = None):
    user = user or current_user
    query = (sa.select(CreationTarget).join(Area, Area.id == CreationTarget.area_id)
             .where(within_any(Area.code, user.scope_codes())))
    if area is not None:
        query = query.where(within(Area.code, area.code))
    return query


def get_target_or_404(target_id: int, user=None) -> CreationTarget:
    target = db.session.scalar(targets_query(user).where(CreationTarget.id == target_id))
    if target is None:
        abort(404)
    return target


def certificates_query(user=None, *, area: Area | None = None):
    return (sa.select(Certificate).join(CreationTarget, CreationTarget.id == Certificate.target_id)
            .where(CreationTarget.id.in_(targets_query(user, area=area).with_only_columns(CreationTarget.id))))


def unit_choices(user=None) -> list[SelectChoice]:
    """The schools and units a record (incident, warning, event) can be tied to, for a select field."""
    from campaign.pickers.options import target_options  # the pickers use this module

    return [SelectChoice("", _("None"))] + [o.choice(str(o.id)) for o in target_options(user)]
