"""Areas as a reader tells them apart: a name that repeats in a list (兴隆村 in two townships)
carries the name of the area above it, 兴隆村（城关镇）."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import sqlalchemy as sa

from campaign.areas.models import Area, parent_code
from campaign.core.text import clean_text
from campaign.extensions import db


def display_names(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Division code → the name to print, for the (code, name) pairs of one list, table or map."""
    pairs = list(pairs)
    counts = Counter(clean_text(name) for _code, name in pairs)
    repeated = {code: parent_code(code) for code, name in pairs if counts[clean_text(name)] > 1}
    parents = dict(db.session.execute(sa.select(Area.code, Area.name).where(
        Area.code.in_({p for p in repeated.values() if p}))).all()) if repeated else {}
    return {code: f"{name}（{parents[repeated[code]]}）" if parents.get(repeated.get(code)) else name
            for code, name in pairs}
