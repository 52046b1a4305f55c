"""Warning figures for an area and period: face-to-face rate (见面劝阻率), time to the first
face-to-face contact, overdue warnings, loss prevented."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from campaign.areas.models import Area
from campaign.areas.scope import within
from campaign.core.clock import day_bounds
from campaign.core.types import utcnow
from campaign.extensions import db

from .models import FraudWarning


@dataclass
class WarningFigures:
    total: int = 0
    closed: int = 0
    met_face: int = 0
    overdue: int = 0
    loss_prevented: Decimal = Decimal(0)
    hours_to_face: list[float] = field(default_factory=list)
    by_outcome: dict[str, int] = field(default_factory=dict)

    @property
    def face_rate(self) -> float | None:
        return self.met_face / self.total if self.total else None

    @property
    def median_hours_to_face(self) -> float | None:
        return statistics.median(self.hours_to_face) if self.hours_to_face else None


def warning_figures(area: Area, start: date, end: date) -> WarningFigures:
    first, last = day_bounds(start, end)
    figures, now = WarningFigures(), utcnow()
    for warning in db.session.scalars(
            sa.select(FraudWarning).join(Area, Area.id == FraudWarning.area_id)
            .where(within(Area.code, area.code), FraudWarning.received_at >= first, FraudWarning.received_at < last)):
        figures.total += 1
        figures.closed += warning.closed_at is not None
        figures.loss_prevented += warning.loss_prevented or 0
        figures.overdue += warning.overdue(now)
        if warning.first_face_at is not None:
            figures.met_face += 1
            figures.hours_to_face.append(warning.hours_to_face)
        if warning.outcome is not None:
            figures.by_outcome[warning.outcome.value] = figures.by_outcome.get(warning.outcome.value, 0) + 1
    return figures
