"""Demo fraud-free creation: every village registered, schools and units, and a few titles that were
earned for real: their criteria are met by the demo's own visits, events and warnings on the day of
acceptance. One title is under review after an incident, one has been revoked."""
from __future__ import annotations

import random
from contextlib import nullcontext
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from campaign.accounts.models import Role, User, user_grid
from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within
from campaign.audit.services import recorded_at
from campaign.core.bulk import bulk_insert
from campaign.core.clock import local_today, zone
from campaign.creation import services
from campaign.creation.models import TargetKind
from campaign.events.models import EventKind, PublicityEvent
from campaign.events.services import EventFields, create_event
from campaign.extensions import db
from campaign.households.models import Household
from campaign.incidents.models import FraudType, Incident, IncidentKind
from campaign.incidents.services import check_fields as incident_fields
from campaign.incidents.services import create_incident
from campaign.rounds.models import Round
from campaign.rounds.services import rounds_for
from campaign.visits.models import Outcome, Visit
from campaign.visits.rebuild import rebuild_round
from campaign.warnings.models import FraudWarning

from .events import SCHOOLS, UNITS
from .visits import VISIT_COLUMNS, visit_row

SHOWCASE = 4  # villages certified for real
# A certified title's history: days before acceptance each step happened.
HISTORY = {"create": 200, "start": 180, "apply": 12, "certify": 0}


def _user(root: str, role: Role) -> User:
    return db.session.scalar(sa.select(User).join(User.area).where(User.role == role, within(Area.code, root))
                             .order_by(User.id).limit(1))


def _clean_villages(villages: list[Area], township: str) -> list[Area]:
    """Villages of the township with no incident at all and every warning met face to face."""
    hit = set(db.session.scalars(sa.select(Incident.village_id)))
    unmet = set(db.session.scalars(sa.select(Area.code).join(FraudWarning, FraudWarning.area_id == Area.id)
                                   .where(FraudWarning.first_face_at.is_(None))))
    return [v for v in villages if v.code.startswith(township) and v.id not in hit
            and not any(code.startswith(v.code) for code in unmet)]


def _earn(village: Area, finished: Round, rng: random.Random, accepted_on) -> None:
    """The village's workers went back to every door they had missed, every household installed the
    app for all its members, and four courtyard meetings were held."""
    reached = (sa.select(Visit.household_id).where(Visit.round_id == finished.id, Visit.outcome == Outcome.REACHED))
    missed = db.session.execute(
        sa.select(Household.id, Household.grid_id, Household.lat, Household.lon, user_grid.c.user_id)
        .join(Area, Area.id == Household.grid_id).join(user_grid, user_grid.c.area_id == Household.grid_id)
        .where(within(Area.code, village.code), Household.id.not_in(reached))).all()
    last_day = datetime.combine(finished.ends_on - timedelta(days=1), time(15), tzinfo=zone())
    rows = [visit_row(rng, finished.id, tuple(h[:4]), h[4], "reached", last_day + timedelta(minutes=7 * n), "door",
                   (h[2] or 33.3, h[3] or 108.3)) for n, h in enumerate(missed)]
    if rows:
        bulk_insert(Visit.__table__, VISIT_COLUMNS, (tuple(r) for r in rows))
    best = (sa.select(sa.func.max(Visit.id)).join(Household, Household.id == Visit.household_id)
            .join(Area, Area.id == Household.grid_id)
            .where(Visit.round_id == finished.id, Visit.outcome == Outcome.REACHED, within(Area.code, village.code))
            .group_by(Visit.household_id))
    for visit in db.session.scalars(sa.select(Visit).where(Visit.id.in_(best))):
        visit.app_installs = db.session.get(Household, visit.household_id).members
    for days in rng.sample(range(20, 300), 4):
        create_event(area=village, fields=EventFields(
            kind=EventKind.COURTYARD, held_on=accepted_on - timedelta(days=days), target="",
            attendees=rng.randint(25, 60), materials=rng.randint(30, 90), organiser=f"{village.name}网格员",
            note="反诈院落会"))


def add_demo_creation(root: str, rng: random.Random) -> None:
    today = local_today()
    admin, official = _user(root, Role.COUNTY), _user(root, Role.OFFICIAL)
    township = official.area.code
    finished = db.session.scalar(rounds_for(root).where(Round.ends_on < today).limit(1))
    accepted_on = finished.ends_on + timedelta(days=3)
    villages = list(db.session.scalars(sa.select(Area).where(within(Area.code, root), Area.level == AreaLevel.VILLAGE)
                                       .order_by(Area.code)))
    showcase = _clean_villages(villages, township)[:SHOWCASE]
    targets = {}
    for v in villages:
        with _back_in_time(accepted_on, "create") if v in showcase else nullcontext():
            targets[v.id] = services.create_target(area=v, fields=services.check_fields(
                kind=TargetKind.COMMUNITY, name="", area=v), user=official if v.code.startswith(township) else admin)
    for village in showcase:
        _earn(village, finished, rng, accepted_on)
    db.session.flush()
    rebuild_round(finished.id)

    units = []
    for index, name in enumerate(SCHOOLS + UNITS):
        kind = TargetKind.SCHOOL if name in SCHOOLS else (
            TargetKind.ENTERPRISE if "公司" in name or "景区" in name else TargetKind.ORGANISATION)
        area = villages[index * 7 % len(villages)] if index else showcase[0]
        headcount = rng.randint(300, 1500) if kind is TargetKind.SCHOOL else rng.randint(40, 400)
        with nullcontext() if index else _back_in_time(accepted_on, "create"):  # the school is certified below
            unit = services.create_target(area=area, fields=services.check_fields(
                kind=kind, name=name, area=area, contact_name=f"{name[:2]}联络员",
                contact_phone=f"0915-68{index:05d}", headcount=headcount), user=admin)
        db.session.execute(sa.update(PublicityEvent).where(PublicityEvent.target == name, PublicityEvent.held_on
                                                           <= today).values(target_id=unit.id))
        units.append(unit)
    school = units[0]  # 城关小学: four lessons where every pupil and teacher installed the app
    for part, days in zip(_split(school.headcount, 4, rng), rng.sample(range(30, 300), 4), strict=True):
        create_event(area=school.area, fields=EventFields(
            kind=EventKind.SCHOOL, held_on=accepted_on - timedelta(days=days), target=school.name, attendees=part,
            materials=part, organiser="城关派出所", note="开学第一课", app_installs=part, target_id=school.id))

    for target in [targets[v.id] for v in showcase] + [school]:
        for action in ("start", "apply", "certify"):
            with _back_in_time(accepted_on, action):
                services.transition(target, action, user=admin if action == "certify" else official,
                                    today=accepted_on)
        target.status_changed_at = datetime.combine(accepted_on, time(10), tzinfo=zone())
    # An involved person found in a certified village: flagged for review at once, waiting for the county.
    flagged = targets[showcase[1].id]
    create_incident(village=showcase[1], fields=incident_fields(
        occurred_on=today - timedelta(days=2), fraud_type=FraudType.OTHER, loss=0, recovered=0, case_ref="",
        description="排查发现一名涉诈“两卡”人员", kind=IncidentKind.PERSON), user=admin)
    assert flagged.review_flagged_at is not None
    # A den found in another: reviewed and revoked.
    revoked = targets[showcase[2].id]
    create_incident(village=showcase[2], fields=incident_fields(
        occurred_on=today - timedelta(days=9), fraud_type=FraudType.OTHER, loss=0, recovered=0, case_ref="",
        description="查获一处为境外诈骗引流的窝点", kind=IncidentKind.DEN), user=admin)
    services.transition(revoked, "revoke", user=admin, reason="辖区查获涉诈窝点，经复核摘牌",
                        today=today - timedelta(days=7))

    rest = [targets[v.id] for v in villages if v not in showcase]
    rng.shuffle(rest)
    for target in rest[:4]:
        for action in ("start", "apply"):
            services.transition(target, action, user=official if target.area.code.startswith(township) else admin)
    for target in rest[4:30] + units[1:6]:
        services.transition(target, "start", user=admin)


def _back_in_time(day, action: str):
    """Record the demo's history on the day it would have happened, rather than at build time
    (the audit log is append-only: its entries cannot be moved afterwards)."""
    return recorded_at(datetime.combine(day - timedelta(days=HISTORY[action]), time(10), tzinfo=zone()))


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    cuts = sorted(rng.sample(range(1, total), parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
