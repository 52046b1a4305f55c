"""The one way views fetch rounds: those covering the user's area, or 404."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from campaign.extensions import db

from .models import Round
from .services import rounds_for


def rounds_query(user=None) -> sa.Select:
    user = user or current_user
    codes = user.scope_codes()
    return rounds_for(codes[0]) if codes else sa.select(Round).where(sa.false())


def get_round_or_404(round_id: int, *, owned: bool = False, user=None) -> Round:
    """A round covering the user's area; ``owned`` also requires it to be the user's own (to change it)."""
    user = user or current_user
    round_ = db.session.scalar(rounds_query(user).where(Round.id == round_id))
    if round_ is None or (owned and not user.can_see(round_.area)):
        abort(404)
    return round_
