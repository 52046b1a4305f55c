"""Demo incidents that reproduce what 宁陕县 reported (seeds/004): in 2022, 9 cases and a loss of
19.39万元, 35.71% fewer cases and 74.5% less loss than 2021, with 54.5% of townships (6 of 11) and
88.75% of villages (71 of 80) free of incidents. Plus a few recent cases for the current year."""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within
from campaign.core.clock import local_today
from campaign.extensions import db
from campaign.incidents.models import FraudType
from campaign.incidents.services import IncidentFields, create_incident

# Losses in yuan: 2022 sums to 193,900 (19.39万), 2021 to 760,400 (76.04万, so 2022 is 74.5% less).
LOSSES_2022 = [42000, 31500, 28800, 22600, 19000, 17500, 15200, 10300, 7000]
LOSSES_2021 = [152000, 98000, 87500, 76000, 64300, 58000, 52600, 45000, 38000, 31000, 24000, 18000, 9500, 6500]
TYPES = [FraudType.LOAN, FraudType.INVESTMENT, FraudType.BRUSHING, FraudType.CUSTOMER_SERVICE,
         FraudType.AUTHORITIES, FraudType.ROMANCE, FraudType.ACQUAINTANCE, FraudType.SHOPPING]


def _villages_in(root: str, townships: list[str]) -> list[Area]:
    return list(db.session.scalars(sa.select(Area).where(
        within(Area.code, root), Area.level == AreaLevel.VILLAGE, sa.func.substr(Area.code, 1, 9).in_(townships))
        .order_by(Area.code)))


def _add(rng: random.Random, villages: list[Area], losses: list[int], year: int, last_day: date | None = None) -> None:
    end = last_day or date(year, 12, 31)
    span = (end - date(year, 1, 1)).days
    for n, (village, loss) in enumerate(zip(villages, losses, strict=True)):
        day = date(year, 1, 1) + timedelta(days=rng.randrange(span + 1))
        fraud = TYPES[(n + year) % len(TYPES)]
        create_incident(village=village, fields=IncidentFields(
            occurred_on=day, fraud_type=fraud, loss=Decimal(loss), recovered=Decimal(rng.choice([0, 0, 0, 2000, 5000])),
            case_ref=f"A{village.code[:6]}{year}{n + 1:04d}", description=f"{fraud.label}，受害人经诱导转账"))


def add_demo_incidents(root: str, rng: random.Random) -> int:
    townships = list(db.session.scalars(sa.select(Area.code).where(
        within(Area.code, root), Area.level == AreaLevel.TOWNSHIP).order_by(Area.code)))
    hit = rng.sample(townships, 5)  # 6 of 11 townships stay free of incidents in 2022
    candidates = _villages_in(root, hit)
    # at least one village in each of the five townships, nine villages in all
    chosen = [next(v for v in candidates if v.code.startswith(t)) for t in hit]
    rest = [v for v in candidates if v not in chosen]
    chosen += rng.sample(rest, 9 - len(chosen))
    _add(rng, chosen, LOSSES_2022, 2022)
    all_villages = _villages_in(root, townships)
    _add(rng, rng.sample(all_villages, len(LOSSES_2021)), LOSSES_2021, 2021)
    today = local_today()
    recent = rng.sample(all_villages, 7)
    _add(rng, recent[:4], [rng.randrange(3000, 60000) for _ in range(4)], today.year, today - timedelta(days=1))
    _add(rng, recent[4:], [rng.randrange(3000, 60000) for _ in range(3)], today.year - 1)
    return 9 + len(LOSSES_2021) + 7
