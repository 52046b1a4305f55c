"""The roster, the titles and the creation statuses as they stood at a period's end, read from their
histories; and, where the past is not on record, the note the report prints beside the figure."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from campaign.areas.models import Area
from campaign.areas.scope import within
from campaign.core.clock import day_bounds, local_date
from campaign.core.types import utcnow
from campaign.creation.models import Certificate, CreationTarget, TargetKind, TargetStatus, TargetStatusChange
from campaign.extensions import db
from campaign.households.history import HouseholdPlacement as P
from campaign.households.models import Household
from campaign.visits.models import GeoCheck, Outcome, Visit

UNKNOWN = "unknown"  # the status column of a target whose status at the period's end is not on record


@dataclass
class Roster:
    """Households of one area at the period's end, and the note when that is not fully known."""

    households: int = 0
    note: object = ""  # a lazy string


def end_instant(end: date) -> datetime:
    """The instant the period's last local day ends."""
    return day_bounds(end, end)[1]


def _prefix(length: int):
    return sa.func.substr(Area.code, 1, length).label("prefix")


def _unplaced():
    """Households with no span at all (written past the history, e.g. a bulk load): counted from
    their registration, in the grid they have now."""
    return ~sa.select(P.id).where(P.household_id == Household.id).exists()


def household_counts(area: Area, length: int, at: datetime) -> Counter:
    """Households on the roster at ``at``, by the first ``length`` characters of their grid's code."""
    prefix, counts = _prefix(length), Counter()
    spans = (sa.select(prefix, sa.func.count(P.id)).join(Area, Area.id == P.grid_id)
             .where(within(Area.code, area.code), P.since < at, sa.or_(P.until.is_(None), P.until >= at))
             .group_by(prefix))
    loose = (sa.select(prefix, sa.func.count(Household.id)).join(Area, Area.id == Household.grid_id)
             .where(within(Area.code, area.code), Household.created_at < at, _unplaced()).group_by(prefix))
    for query in (spans, loose):
        for key, n in db.session.execute(query):
            counts[key] += int(n)
    return counts


def _marks(area: Area, length: int) -> dict[str, tuple[datetime | None, datetime | None]]:
    """For each prefix: when its roster was first recorded, and until when its history is only
    worked out from registration dates (backfilled spans; households without any span, until now)."""
    prefix = _prefix(length)
    marks: dict[str, tuple[datetime | None, datetime | None]] = {}
    for key, first, rebuilt in db.session.execute(
            sa.select(prefix, sa.func.min(P.since), sa.func.max(sa.case((P.backfilled, P.recorded_at), else_=None)))
            .join(Area, Area.id == P.grid_id).where(within(Area.code, area.code)).group_by(prefix)):
        marks[key] = (first, rebuilt)
    for key, first in db.session.execute(
            sa.select(prefix, sa.func.min(Household.created_at)).join(Area, Area.id == Household.grid_id)
            .where(within(Area.code, area.code), _unplaced()).group_by(prefix)):
        known = marks.get(key, (None, None))[0]
        marks[key] = (min(filter(None, (known, first)), default=None), utcnow())
    return marks


def rosters(area: Area, length: int, end: date) -> dict[str, Roster]:
    """Each prefix's households at the end of ``end``. Before an area's roster was first recorded the
    first recorded roster stands in, and the note says so; a count worked out from registration dates
    says that moves and removals before the history began are not known."""
    at = end_instant(end)
    counts = household_counts(area, length, at)
    result: dict[str, Roster] = {}
    first_rosters: dict[date, Counter] = {}
    for key, (first, rebuilt) in _marks(area, length).items():
        if first is not None and first >= at:
            first_day = local_date(first)
            if first_day not in first_rosters:
                first_rosters[first_day] = household_counts(area, length, end_instant(first_day))
            result[key] = Roster(first_rosters[first_day][key], _l(
                "Households as on the roster first recorded on %(day)s", day=first_day.isoformat()))
        elif rebuilt is not None and rebuilt > at:
            result[key] = Roster(counts[key], _l(
                "Households worked out from registration dates; moves and removals before %(day)s are not on "
                "record", day=local_date(rebuilt).isoformat()))
        else:
            result[key] = Roster(counts[key])
    return result


# --- titles and statuses ------------------------------------------------------------------------

def titles_held(area: Area, length: int, end: date) -> Counter:
    """Targets holding a valid title at the end of ``end`` (issued, not yet expired, not revoked by then)."""
    prefix = _prefix(length)
    query = (sa.select(prefix, sa.func.count(sa.distinct(Certificate.target_id)))
             .join(CreationTarget, CreationTarget.id == Certificate.target_id)
             .join(Area, Area.id == CreationTarget.area_id)
             .where(within(Area.code, area.code), Certificate.issued_on <= end, Certificate.valid_until >= end,
                    sa.or_(Certificate.revoked_on.is_(None), Certificate.revoked_on > end))
             .group_by(prefix))
    return Counter({key: int(n) for key, n in db.session.execute(query)})


def statuses_at(area: Area, end: date) -> dict[TargetKind, Counter]:
    """Targets by kind and by their status at the end of ``end``; those registered later are left out,
    those whose status then is not on record are counted under ``UNKNOWN``."""
    at = end_instant(end)
    latest = (sa.select(sa.func.max(TargetStatusChange.id).label("id"))
              .where(TargetStatusChange.at < at).group_by(TargetStatusChange.target_id).subquery())
    rows = db.session.execute(
        sa.select(CreationTarget.kind, TargetStatusChange.status, sa.func.count(CreationTarget.id))
        .join(TargetStatusChange, TargetStatusChange.target_id == CreationTarget.id)
        .join(latest, latest.c.id == TargetStatusChange.id)
        .join(Area, Area.id == CreationTarget.area_id).where(within(Area.code, area.code))
        .group_by(CreationTarget.kind, TargetStatusChange.status))
    counts: dict[TargetKind, Counter] = {kind: Counter() for kind in TargetKind}
    for kind, status, n in rows:
        counts[kind][status or UNKNOWN] += int(n)
    # A target written past its history (no row at all) is read as the migration reads it: its status
    # is known from its last change, and before that only if it has never moved.
    status = sa.case((CreationTarget.status_changed_at < at, CreationTarget.status),
                     (CreationTarget.status == TargetStatus.NOT_STARTED, CreationTarget.status), else_=None)
    loose = db.session.execute(
        sa.select(CreationTarget.kind, status, sa.func.count()).join(Area, Area.id == CreationTarget.area_id)
        .where(within(Area.code, area.code), CreationTarget.created_at < at,
               ~sa.select(TargetStatusChange.id).where(TargetStatusChange.target_id == CreationTarget.id).exists())
        .group_by(CreationTarget.kind, status))
    for kind, value, n in loose:
        counts[kind][TargetStatus(value) if value else UNKNOWN] += int(n)
    return {kind: c for kind, c in counts.items() if c}


UNKNOWN_LABEL = _l("Not on record")


def status_columns(targets: dict[TargetKind, Counter]) -> list:
    """The statuses of the creation table, and 'not on record' when some status at the end is not known."""
    unknown = any(counts[UNKNOWN] for counts in targets.values())
    return [*TargetStatus, *([UNKNOWN] if unknown else [])]


def status_label(status) -> str:
    return status.label if isinstance(status, TargetStatus) else str(UNKNOWN_LABEL)


# --- the round's tallies at the period's end -----------------------------------------------------

_OUTCOMES = ("not_home", "refused", "vacant")


def visits_after(round_id: int, area: Area, at: datetime) -> bool:
    """Whether the round has visits in the area logged for after ``at``: then its running tallies
    run past the period, and the figures are counted from the visits instead."""
    return db.session.scalar(
        sa.select(Visit.id).join(Household, Household.id == Visit.household_id).join(Area, Area.id == Household.grid_id)
        .where(Visit.round_id == round_id, Visit.visited_at >= at, within(Area.code, area.code)).limit(1)) is not None


def tallies_at(round_id: int, area: Area, length: int, at: datetime) -> dict[str, dict[str, int]]:
    """The round's tallies by prefix as the visits before ``at`` make them, by the rule the running
    tallies follow: reached stays reached, otherwise the latest visit decides."""
    later = so.aliased(Visit)
    last_outcome = (sa.select(later.outcome).where(later.round_id == round_id, later.household_id == Visit.household_id,
                                                    later.visited_at < at)
                    .order_by(later.visited_at.desc(), later.id.desc()).limit(1).scalar_subquery())
    count_if = lambda condition: sa.func.sum(sa.case((condition, 1), else_=0))  # noqa: E731
    per_household = (
        sa.select(Area.code.label("code"), sa.func.max(sa.case((Visit.outcome == Outcome.REACHED, 1), else_=0))
                  .label("reached"), last_outcome.label("last"),
                  sa.func.count().label("visits"), count_if(Visit.flagged).label("flagged"),
                  count_if(Visit.geo == GeoCheck.RED).label("far"),
                  count_if(Visit.geo == GeoCheck.GREY).label("no_fix"),
                  count_if(Visit.too_fast).label("too_fast"),
                  count_if(Visit.geo == GeoCheck.COARSE).label("coarse_fix"),
                  count_if(sa.not_(Visit.time_trusted)).label("untrusted_time"),
                  sa.func.max(Visit.people_briefed).label("people_briefed"),
                  sa.func.max(Visit.app_installs).label("app_installs"))
        .join(Household, Household.id == Visit.household_id).join(Area, Area.id == Household.grid_id)
        .where(Visit.round_id == round_id, Visit.visited_at < at, within(Area.code, area.code))
        .group_by(Visit.household_id, Area.code).subquery())
    h = per_household.c
    prefix = sa.func.substr(h.code, 1, length).label("prefix")
    sums = [sa.func.sum(h.reached).label("reached"),
            *[sa.func.sum(sa.case((sa.and_(h.reached == 0, h.last == Outcome(name)), 1), else_=0)).label(name)
              for name in _OUTCOMES],
            *[sa.func.sum(getattr(h, name)).label(name)
              for name in ("visits", "flagged", "far", "no_fix", "too_fast", "coarse_fix", "untrusted_time",
                           "people_briefed", "app_installs")]]
    return {row["prefix"]: {k: int(v or 0) for k, v in row.items() if k != "prefix"}
            for row in db.session.execute(sa.select(prefix, *sums).group_by(prefix)).mappings()}
