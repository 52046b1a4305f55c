"""Demo warnings: two months of the anti-fraud centre's warnings, most met face to face in time,
a few late, and two open ones waiting for the demo worker."""
from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

from campaign.accounts.models import User, user_grid
from campaign.areas.models import Area, AreaLevel
from campaign.areas.scope import within
from campaign.core.types import utcnow
from campaign.extensions import db
from campaign.warnings.models import AttemptKind, Level, WarningOutcome
from campaign.warnings.services import assign, close, create_warning, log_attempt

SOURCES = ["市反诈中心", "县反诈中心"]


def _worker_of(grid_id: int) -> User:
    return db.session.scalar(sa.select(User).join(user_grid, user_grid.c.user_id == User.id)
                             .where(user_grid.c.area_id == grid_id).limit(1))


def add_demo_warnings(root: str, rng: random.Random, names, demo_worker: User) -> int:
    grids = db.session.scalars(sa.select(Area).where(within(Area.code, root), Area.level == AreaLevel.GRID)
                               .order_by(Area.code)).all()
    now = utcnow()
    for n in range(40):
        grid = rng.choice(grids)
        level = rng.choices([Level.HIGH, Level.MEDIUM, Level.LOW], weights=(3, 5, 2))[0]
        received = now - timedelta(days=rng.uniform(1, 60))
        warning = create_warning(area=grid, resident=names(), level=level, received_at=received,
                                 source=rng.choice(SOURCES))
        worker = _worker_of(grid.id)
        assign(warning, worker=worker, user=worker)
        moment = received + timedelta(minutes=rng.randint(10, 40))
        for _ in range(rng.choice([0, 0, 1, 2, 4])):  # calls before the visit
            log_attempt(warning, at=min(moment, now), kind=AttemptKind.PHONE, result="未接通", user=worker)
            moment += timedelta(minutes=rng.randint(15, 90))
        hours = {Level.HIGH: 2, Level.MEDIUM: 24, Level.LOW: 72}[level]
        late = n % 9 == 4  # a few warnings are met after the deadline
        face = received + timedelta(hours=hours * (rng.uniform(1.2, 2) if late else rng.uniform(0.2, 0.9)))
        log_attempt(warning, at=min(max(face, moment), now), kind=AttemptKind.FACE, result="上门见面劝阻",
                    user=worker)
        outcome = rng.choices(list(WarningOutcome), weights=(80, 6, 4, 10))[0]
        close(warning, outcome=outcome, user=worker,
              loss_prevented=rng.randrange(5000, 200000, 500) if outcome is WarningOutcome.DISSUADED else 0)
    for hours_ago, level in ((0.5, Level.HIGH), (30, Level.MEDIUM)):
        grid = demo_worker.grids[0]
        warning = create_warning(area=grid, resident=names(), level=level, source="市反诈中心",
                                 received_at=now - timedelta(hours=hours_ago))
        assign(warning, worker=demo_worker)
    return 42
