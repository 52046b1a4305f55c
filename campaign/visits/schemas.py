"""The shape of a visit as the phone sends it. Checked item by item, so one bad visit in a batch
is refused with its reason while the others are counted."""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from campaign.core.inputs import FIRST_YEAR, LAST_YEAR, MAX_ID
from campaign.core.types import utcnow

from .models import Outcome

# A phone's clock may run a little ahead; beyond this a timestamp is in the future.
CLOCK_SKEW = timedelta(minutes=5)


Number = Annotated[float, Strict()]


class Fix(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: Number = Field(ge=-90, le=90)
    lon: Number = Field(ge=-180, le=180)
    accuracy: Number | None = Field(default=None, ge=0, le=100_000, description="metres")


class VisitIn(BaseModel):
    """One visit. ``uuid`` is made by the phone and makes re-sending the same visit harmless."""

    model_config = ConfigDict(extra="forbid")

    uuid: UUID
    round_id: StrictInt = Field(gt=0, le=MAX_ID)
    household_id: StrictInt = Field(gt=0, le=MAX_ID)
    outcome: Outcome
    people_briefed: StrictInt = Field(default=0, ge=0, le=99)
    app_installs: StrictInt = Field(default=0, ge=0, le=99)
    materials: StrictInt = Field(default=0, ge=0, le=999)
    risk_flags: list[Literal["elderly_alone", "suspicious_calls", "large_transfer"]] = Field(default=[], max_length=3)
    note: StrictStr = Field(default="", max_length=500)
    visited_at: AwareDatetime = Field(description="ISO 8601 with a UTC offset, e.g. 2026-11-21T15:04:05+08:00")
    gps: Fix | None = None

    @field_validator("visited_at", mode="before")
    @classmethod
    def time_is_text(cls, value):
        if not isinstance(value, str):
            raise ValueError("must be an ISO 8601 time string with a UTC offset")
        return value

    @field_validator("visited_at")
    @classmethod
    def time_in_range(cls, value):
        if not FIRST_YEAR <= value.year <= LAST_YEAR:  # the ends overflow when shifted to UTC or local time
            raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
        return value

    @model_validator(mode="after")
    def consistent(self):
        if self.visited_at > utcnow() + CLOCK_SKEW:
            raise ValueError("visited_at is in the future")
        if self.outcome is not Outcome.REACHED and (self.people_briefed or self.app_installs):
            raise ValueError("people_briefed and app_installs must be 0 unless the household was reached")
        if self.app_installs > self.people_briefed:
            raise ValueError("app_installs cannot exceed people_briefed")
        if len(set(self.risk_flags)) != len(self.risk_flags):
            raise ValueError("risk_flags has a flag twice")
        return self

    def fingerprint(self) -> str:
        """Same visit, same fingerprint; any changed field changes it."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


def explain(error: ValidationError) -> str:
    """One readable line per problem, naming the field."""
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(p) for p in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visits: list[Any] = Field(min_length=1, max_length=200)


ItemStatus = Literal["created", "duplicate", "conflict", "rejected"]
