"""The choices a picker offers, always inside the user's own area: areas (by code), grid workers and schools or
units (creation targets, by id), each with a label, a hint (the code, the user name, the area) and its pinyin.

A name that two choices share carries its parent's name (兴隆村 · 城关镇), and the grandparent's when the
parents share theirs too, so that a user never has to pick between two identical lines.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import current_user
from wtforms.fields import SelectChoice

from campaign.accounts.models import Role, User, user_grid
from campaign.areas.access import scope_clause
from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within, within_any
from campaign.extensions import db

from . import pinyin

CAP = 300  # choices written into the page; above that, the picker asks the server as the user types
MAX_RESULTS = 50  # choices the server answers with at a time


@dataclass(frozen=True)
class Option:
    id: int
    code: str  # an area's division code, a worker's user name, a target's area code
    label: str
    hint: str
    name: str  # what the pinyin spells

    @property
    def pinyin(self) -> str:
        return pinyin.spelling(self.name)

    def as_json(self) -> dict:
        return {"id": self.id, "code": self.code, "label": self.label, "hint": self.hint, "pinyin": self.pinyin}

    def choice(self, value: str | None = None) -> SelectChoice:
        """An <option> for a select field, with what the picker in the browser searches."""
        return SelectChoice(self.code if value is None else value, self.label,
                            render_kw={"data-pinyin": self.pinyin, "data-hint": self.hint})


def _distinct_labels(rows: list[tuple]) -> list[str]:
    """Labels from (name, parent name, grandparent name): the name, with the parent's name where the name is
    shared, and the grandparent's where both are."""
    names = Counter(r[0] for r in rows)
    pairs = Counter((r[0], r[1]) for r in rows)
    labels = []
    for name, parent, grandparent in rows:
        parts = [name]
        if names[name] > 1 and parent:
            parts.append(parent)
            if pairs[(name, parent)] > 1 and grandparent:
                parts.append(grandparent)
        labels.append(" · ".join(parts))
    return labels


def _search(options: Iterable[Option], query: str, limit: int | None) -> tuple[list[Option], bool]:
    """The options that answer ``query``, best first; and whether more than ``limit`` did."""
    wanted = pinyin.normalise(query)
    ranked = []
    for option in options:
        found = pinyin.rank(wanted, option.name, option.code if option.code.isdigit() else "")
        if found is None and wanted and wanted in option.code.lower():
            found = 2  # a worker's user name, typed in part
        if found is not None:
            ranked.append((found, option))
    ranked.sort(key=lambda pair: pair[0])  # stable: each level keeps the order of the query
    if limit is None:
        return [o for _rank, o in ranked], False
    return [o for _rank, o in ranked[:limit]], len(ranked) > limit


# Areas ---------------------------------------------------------------------------------------------

def _areas_query(user, levels: Iterable[AreaLevel] | None):
    parent, grandparent = so.aliased(Area), so.aliased(Area)
    query = (sa.select(Area.id, Area.code, Area.name, parent.name, grandparent.name)
             .outerjoin(parent, parent.id == Area.parent_id).outerjoin(grandparent, grandparent.id == parent.parent_id)
             .where(scope_clause(user)).order_by(Area.code))
    levels = list(levels or ())
    return query.where(Area.level.in_(levels)) if levels else query


def _area_options(rows) -> list[Option]:
    rows = list(rows)
    labels = _distinct_labels([(name, p, g) for _id, _code, name, p, g in rows])
    return [Option(id=r[0], code=r[1], label=label, hint=r[1], name=r[2])
            for r, label in zip(rows, labels, strict=True)]


def area_count(levels: Iterable[AreaLevel] | None = None, user=None) -> int:
    user = user or current_user
    query = sa.select(sa.func.count()).select_from(Area).where(scope_clause(user))
    levels = list(levels or ())
    return db.session.scalar(query.where(Area.level.in_(levels)) if levels else query)


def area_options(levels: Iterable[AreaLevel] | None = None, user=None) -> list[Option]:
    """Every area of these levels inside the user's area, in code order."""
    return _area_options(db.session.execute(_areas_query(user or current_user, levels)))


def find_areas(query: str, levels: Iterable[AreaLevel] | None = None, user=None,
               limit: int = MAX_RESULTS) -> tuple[list[Option], bool]:
    return _search(area_options(levels, user), query, limit)


def areas_by_code(codes: Iterable[str], levels: Iterable[AreaLevel] | None = None, user=None) -> list[Option]:
    """The chosen areas, labelled as in the whole list (a shared name with its parent's)."""
    codes = [c for c in codes if c]
    if not codes:
        return []
    wanted = set(codes)
    return [o for o in area_options(levels, user) if o.code in wanted]


def area_choices(levels: Iterable[AreaLevel] | None = None, user=None) -> list[SelectChoice] | None:
    """Every area for a select field, or None when there are more than ``CAP``."""
    if area_count(levels, user) > CAP:
        return None
    return [o.choice() for o in area_options(levels, user)]


# Grid workers --------------------------------------------------------------------------------------

def _workers_query(user, area: Area | None):
    grids = (sa.select(user_grid.c.user_id, Area.name.label("grid"))
             .join(Area, Area.id == user_grid.c.area_id).where(within_any(Area.code, user.scope_codes())))
    if area is not None:
        grids = grids.where(within(Area.code, area.code))
    grids = grids.subquery()
    return (sa.select(User.id, User.username, User.display_name, sa.func.min(grids.c.grid))
            .join(grids, grids.c.user_id == User.id)
            .where(User.role == Role.WORKER, User.active.is_(True))
            .group_by(User.id, User.username, User.display_name).order_by(User.display_name, User.id))


def worker_options(area: Area | None = None, user=None) -> list[Option]:
    """Active grid workers with a grid inside the user's area (and inside ``area``); the hint is the user name
    and a grid of theirs."""
    rows = db.session.execute(_workers_query(user or current_user, area)).all()
    names = Counter(r[2] for r in rows)
    return [Option(id=r[0], code=r[1], label=f"{r[2]} ({r[1]})" if names[r[2]] > 1 else r[2],
                   hint=f"{r[1]} · {r[3]}", name=r[2]) for r in rows]


def worker_option(worker: User) -> Option:
    grid = worker.grids[0].name if worker.grids else ""
    return Option(id=worker.id, code=worker.username, label=worker.display_name,
                  hint=f"{worker.username} · {grid}" if grid else worker.username, name=worker.display_name)


def find_workers(query: str, area: Area | None = None, user=None,
                 limit: int = MAX_RESULTS) -> tuple[list[Option], bool]:
    return _search(worker_options(area, user), query, limit)


# Schools and units (creation targets) --------------------------------------------------------------

def target_options(user=None) -> list[Option]:
    """The schools and units a record can be tied to (not villages: those are areas), hint their area."""
    from campaign.creation.access import targets_query  # creation's forms use this module
    from campaign.creation.models import CreationTarget, TargetKind

    parent = so.aliased(Area)
    query = (targets_query(user or current_user).outerjoin(parent, parent.id == Area.parent_id)
             .where(CreationTarget.kind != TargetKind.COMMUNITY)
             .with_only_columns(CreationTarget.id, CreationTarget.name, Area.name, parent.name, Area.code)
             .order_by(Area.code, CreationTarget.name))
    rows = db.session.execute(query).all()
    labels = _distinct_labels([(name, area, township) for _id, name, area, township, _code in rows])
    return [Option(id=r[0], code=r[4], label=label, hint=r[2], name=r[1])
            for r, label in zip(rows, labels, strict=True)]


def find_targets(query: str, user=None, limit: int = MAX_RESULTS) -> tuple[list[Option], bool]:
    return _search(target_options(user), query, limit)
