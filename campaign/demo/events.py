"""Demo publicity events: about 130 in the past year, as 宁陕县 reported 130+ events."""
from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within
from campaign.core.clock import local_today
from campaign.events.models import EventKind
from campaign.events.services import EventFields, create_event
from campaign.extensions import db

SCHOOLS = ["城关小学", "宁陕中学", "江口中心小学", "四亩地九年制学校", "筒车湾中学"]
UNITS = ["宁陕县供电公司", "秦岭生态旅游公司", "县农村信用社", "城关镇卫生院", "广货街景区"]
WEIGHTS = {EventKind.COURTYARD: 40, EventKind.SCHOOL: 15, EventKind.ENTERPRISE: 12, EventKind.COMMUNITY: 15,
           EventKind.MARKET: 8, EventKind.PERFORMANCE: 4, EventKind.ONLINE: 4, EventKind.OTHER: 2}


def add_demo_events(root: str, rng: random.Random, count: int = 132) -> int:
    villages = db.session.scalars(sa.select(Area).where(within(Area.code, root), Area.level == AreaLevel.VILLAGE)
                                  .order_by(Area.code)).all()
    today = local_today()
    for _ in range(count):
        kind = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        village = rng.choice(villages)
        target = {EventKind.SCHOOL: rng.choice(SCHOOLS), EventKind.ENTERPRISE: rng.choice(UNITS)}.get(kind, "")
        attendees = rng.randint(15, 60) if kind is EventKind.COURTYARD else rng.randint(40, 400)
        create_event(area=village, fields=EventFields(
            kind=kind, held_on=today - timedelta(days=rng.randint(1, 365)), target=target, attendees=attendees,
            materials=attendees + rng.randint(0, 80), organiser=f"{village.name}网格员", note=""))
    return count
