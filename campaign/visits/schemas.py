"""The shape of a visit as the phone sends it. Checked item by item, so one bad visit in a batch
is refused with its reason while the others are counted."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from campaign.core.inputs import FIRST_YEAR, LAST_YEAR, MAX_ID
from campaign.core.types import utcnow

from .models import Outcome

# A phone's clock may run a little ahead; beyond this a timestamp is in the future.
CLOCK_SKEW = timedelta(minutes=5)
# No phone's clock is honestly ten years out.
MAX_CLOCK_OFFSET_MS = 10 * 366 * 24 * 3600 * 1000
# Fields added after phones had begun queueing visits: left out of the fingerprint when not sent, so a
# visit queued by an older page is still the same visit when it is sent again.
LATER_FIELDS = {"phone_time": None, "clock_offset_ms": None, "time_trusted": True}


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
    visited_at: AwareDatetime = Field(
        description="ISO 8601 with a UTC offset, e.g. 2026-11-21T15:04:05+08:00: the phone's time corrected by "
                    "clock_offset_ms. A time more than 5 minutes in the future is kept as phone_time, and the "
                    "visit is stored at the time the server received it, with time_trusted false.")
    gps: Fix | None = None
    phone_time: AwareDatetime | None = Field(
        default=None, description="The phone's own, uncorrected clock when it saved the visit (ISO 8601 with offset)")
    clock_offset_ms: StrictInt | None = Field(
        default=None, ge=-MAX_CLOCK_OFFSET_MS, le=MAX_CLOCK_OFFSET_MS,
        description="Server clock minus phone clock at the phone's last contact with the server, in milliseconds; "
                    "null if it never had one")
    time_trusted: StrictBool = Field(
        default=True, description="False when the phone could not vouch for its clock (no server contact since "
                                  "the clock changed)")

    @field_validator("visited_at", "phone_time", mode="before")
    @classmethod
    def time_is_text(cls, value, info: ValidationInfo):
        if value is None and info.field_name == "phone_time":
            return value
        if not isinstance(value, str):
            raise ValueError("must be an ISO 8601 time string with a UTC offset")
        return value

    @field_validator("visited_at", "phone_time")
    @classmethod
    def time_in_range(cls, value):
        if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:  # the ends overflow when shifted
            raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
        return value

    @model_validator(mode="after")
    def consistent(self):
        if self.outcome is not Outcome.REACHED and (self.people_briefed or self.app_installs):
            raise ValueError("people_briefed and app_installs must be 0 unless the household was reached")
        if self.app_installs > self.people_briefed:
            raise ValueError("app_installs cannot exceed people_briefed")
        if len(set(self.risk_flags)) != len(self.risk_flags):
            raise ValueError("risk_flags has a flag twice")
        return self

    def timing(self, received_at: datetime | None = None) -> tuple[datetime, bool, datetime | None]:
        """The time the visit counts at, whether it is trusted, and the phone's own clock reading. A time in
        the future is no time at all: the server's receive time stands in, untrusted."""
        received_at = received_at or utcnow()
        if self.visited_at > received_at + CLOCK_SKEW:
            return received_at, False, self.phone_time or self.visited_at
        return self.visited_at, self.time_trusted, self.phone_time

    def fingerprint(self) -> str:
        """Same visit, same fingerprint; any changed field changes it."""
        data = self.model_dump(mode="json")
        for name, default in LATER_FIELDS.items():
            if data[name] == default:
                del data[name]
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
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
