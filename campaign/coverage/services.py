"""Coverage figures, read from the per-grid tallies: their cost grows with the number of areas
involved, never with the number of visits."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from campaign.accounts.models import User, user_grid
from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within
from campaign.extensions import db
from campaign.households.models import Household
from campaign.visits.models import TALLY_COLUMNS, GridTally, RoundHousehold, Visit, WorkerTally
from campaign.visits.walklist import natural_key


@dataclass
class Figures:
    """What a 通报 reports for one area (or one worker's grids) in one round."""

    households: int = 0
    reached: int = 0
    not_home: int = 0
    refused: int = 0
    vacant: int = 0
    visits: int = 0
    flagged: int = 0
    far: int = 0
    no_fix: int = 0
    too_fast: int = 0
    coarse_fix: int = 0
    untrusted_time: int = 0
    people_briefed: int = 0
    app_installs: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def in_scope(self) -> int:
        return max(self.households - self.vacant, 0)

    @property
    def never_visited(self) -> int:
        return max(self.in_scope - self.reached - self.not_home - self.refused, 0)

    @property
    def coverage(self) -> float | None:
        return self.reached / self.in_scope if self.in_scope else None

    @property
    def flagged_share(self) -> float | None:
        return self.flagged / self.visits if self.visits else None

    def as_dict(self) -> dict:
        data = {name: getattr(self, name) for name in ("households", *TALLY_COLUMNS)}
        data.update(in_scope=self.in_scope, never_visited=self.never_visited,
                    coverage=None if self.coverage is None else round(self.coverage, 4),
                    flagged_share=None if self.flagged_share is None else round(self.flagged_share, 4))
        return data


_SUMS = [sa.func.coalesce(sa.func.sum(getattr(GridTally, name)), 0).label(name) for name in TALLY_COLUMNS]


def _tallies_by_prefix(round_id: int, parent_code: str, length: int) -> dict[str, dict]:
    prefix = sa.func.substr(Area.code, 1, length).label("prefix")
    rows = db.session.execute(
        sa.select(prefix, *_SUMS).join(Area, Area.id == GridTally.grid_id)
        .where(GridTally.round_id == round_id, within(Area.code, parent_code)).group_by(prefix)
    ).mappings()
    return {row["prefix"]: dict(row) for row in rows}


def _figures(area: Area, tally: dict | None) -> Figures:
    values = {k: int(v) for k, v in (tally or {}).items() if k in TALLY_COLUMNS}
    return Figures(households=area.household_count, **values)


def area_figures(round_id: int, area: Area) -> Figures:
    return _figures(area, _tallies_by_prefix(round_id, area.code, len(area.code)).get(area.code))


def child_figures(round_id: int, area: Area) -> list[tuple[Area, Figures]]:
    """Each direct sub-area with its figures, in code order."""
    children = list(db.session.scalars(sa.select(Area).where(Area.parent_id == area.id).order_by(Area.code)))
    if not children:
        return []
    tallies = _tallies_by_prefix(round_id, area.code, len(children[0].code))
    return [(child, _figures(child, tallies.get(child.code))) for child in children]


def level_figures(round_id: int, area: Area, level: AreaLevel) -> list[tuple[Area, Figures]]:
    """Every area of ``level`` inside ``area`` (e.g. all villages of a county) with its figures."""
    areas = list(db.session.scalars(sa.select(Area).where(within(Area.code, area.code), Area.level == level)))
    if not areas:
        return []
    tallies = _tallies_by_prefix(round_id, area.code, len(areas[0].code))
    return [(a, _figures(a, tallies.get(a.code))) for a in areas]


def ranked(rows: list[tuple[object, Figures]]) -> list[tuple[object, Figures]]:
    """Best coverage first; areas with nothing in scope last."""
    return sorted(rows, key=lambda r: (r[1].coverage is None, -(r[1].coverage or 0), -r[1].reached))


def worker_figures(round_id: int, area: Area) -> list[tuple[User, Figures]]:
    """Workers with a grid inside ``area``: the coverage of their grids and their own visits."""
    grids = db.session.execute(
        sa.select(user_grid.c.user_id, Area).join(Area, Area.id == user_grid.c.area_id)
        .where(within(Area.code, area.code))).all()
    if not grids:
        return []
    tallies = {row.grid_id: row for row in db.session.scalars(
        sa.select(GridTally).where(GridTally.round_id == round_id,
                                   GridTally.grid_id.in_({grid.id for _, grid in grids})))}
    own = {row.worker_id: row for row in db.session.scalars(
        sa.select(WorkerTally).where(WorkerTally.round_id == round_id))}
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_({uid for uid, _ in grids})))}
    result: dict[int, Figures] = {}
    for user_id, grid in grids:
        figures = result.setdefault(user_id, Figures())
        figures.households += grid.household_count
        tally = tallies.get(grid.id)
        if tally is not None:
            for name in ("reached", "not_home", "refused", "vacant", "people_briefed", "app_installs"):
                setattr(figures, name, getattr(figures, name) + getattr(tally, name))
    for user_id, figures in result.items():
        mine = own.get(user_id)
        figures.visits = mine.visits if mine else 0
        figures.flagged = mine.flagged if mine else 0
        figures.extra = {"reached_by_worker": mine.reached if mine else 0}
    return [(users[user_id], figures) for user_id, figures in result.items()]


def grid_households(round_id: int, grid: Area) -> list[sa.Row]:
    """Each household of a grid with its status and number of visits in the round, in door order."""
    rows = db.session.execute(
        sa.select(Household, RoundHousehold.status, RoundHousehold.visits)
        .outerjoin(RoundHousehold, sa.and_(RoundHousehold.household_id == Household.id,
                                           RoundHousehold.round_id == round_id))
        .where(Household.grid_id == grid.id)).all()
    rows.sort(key=lambda r: natural_key(r[0].door_label))
    return rows


def visits_query(round_id: int, area: Area, *, flagged: bool = False) -> sa.Select:
    """Every visit of the round in the area, newest first; ``flagged`` keeps those with an honesty signal.
    The grid of each visit is joined as ``Area``."""
    query = (sa.select(Visit).join(Household, Household.id == Visit.household_id)
             .join(Area, Area.id == Household.grid_id)
             .where(Visit.round_id == round_id, within(Area.code, area.code))
             .order_by(Visit.visited_at.desc(), Visit.id.desc()))
    if flagged:
        query = query.where(Visit.flagged)
    return query
