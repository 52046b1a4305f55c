"""The shape of a warning action as the grid worker's phone sends it: an attempt to reach the resident,
or the closing of the warning. Checked item by item, like visits (campaign/visits/schemas.py)."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    TypeAdapter,
    field_validator,
)

from campaign.core.errors import DomainError
from campaign.core.inputs import FIRST_YEAR, LAST_YEAR, MAX_ID
from campaign.incidents.services import parse_yuan

from .models import AttemptKind, WarningOutcome

MAX_OFFSET_MS = 10**12  # about 30 years: more is a broken clock, not a skew
TIME = "ISO 8601 with a UTC offset, e.g. 2026-11-21T15:04:05+08:00"


class ActionBase(BaseModel):
    """What every action carries. ``uuid`` is made by the phone: re-sending an action is harmless."""

    model_config = ConfigDict(extra="forbid")

    uuid: UUID
    warning_id: StrictInt = Field(gt=0, le=MAX_ID)
    at: AwareDatetime = Field(description=f"When it happened, by the corrected phone clock; {TIME}")
    phone_time: AwareDatetime | None = Field(default=None, description="The phone's own clock reading")
    clock_offset_ms: StrictInt | None = Field(default=None, ge=-MAX_OFFSET_MS, le=MAX_OFFSET_MS,
                                              description="Server clock minus phone clock, null if never measured")
    time_trusted: StrictBool = True

    @field_validator("at", "phone_time", mode="before")
    @classmethod
    def time_is_text(cls, value):
        if value is not None and not isinstance(value, str):
            raise ValueError("must be an ISO 8601 time string with a UTC offset")
        return value

    @field_validator("at", "phone_time")
    @classmethod
    def time_in_range(cls, value):
        if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
        return value

    def fingerprint(self) -> str:
        """Same action, same fingerprint; any changed field changes it."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


class AttemptIn(ActionBase):
    """An attempt to reach the resident, face to face or by phone."""

    type: Literal["attempt"]
    kind: AttemptKind
    result: StrictStr = Field(default="", max_length=300)


class CloseIn(ActionBase):
    """The warning closed with its outcome."""

    type: Literal["close"]
    outcome: WarningOutcome
    loss_prevented: Decimal | None = Field(default=None, description="Yuan, as a string or a number")
    result: StrictStr = Field(default="", max_length=500)

    @field_validator("loss_prevented", mode="before")
    @classmethod
    def yuan(cls, value):
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError("must be an amount in yuan, as a string or a number")
        try:
            return parse_yuan(str(value), "loss_prevented")
        except DomainError as error:
            raise ValueError(str(error.message)) from None


ActionIn = Annotated[AttemptIn | CloseIn, Field(discriminator="type")]
ACTION = TypeAdapter(ActionIn)


class ActionBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actions: list[Any] = Field(min_length=1, max_length=200)


def openapi_parts(_json: Callable[[dict, str], dict]) -> tuple[dict, dict]:
    """The components and paths of GET /warnings and POST /warnings/actions for the API document;
    ``_json(schema, description)`` is the document's own JSON response (with its headers)."""
    attempt = AttemptIn.model_json_schema(ref_template="#/components/schemas/{model}")
    close = CloseIn.model_json_schema(ref_template="#/components/schemas/{model}")
    components = {
        **attempt.pop("$defs", {}), **close.pop("$defs", {}),
        "WarningAttemptIn": attempt, "WarningCloseIn": close,
        "ActionResult": {
            "type": "object", "required": ["status"],
            "properties": {"uuid": {"type": ["string", "null"]},
                           "status": {"enum": ["created", "duplicate", "conflict", "rejected"]},
                           "code": {"type": "string"}, "mendable": {"type": "boolean"},
                           "reason": {"type": "string"}, "warning_id": {"type": "integer"}}},
        "ActionBatchResult": {
            "type": "object", "required": ["results", "summary"],
            "properties": {"results": {"type": "array", "items": {"$ref": "#/components/schemas/ActionResult"}},
                           "summary": {"type": "object", "additionalProperties": {"type": "integer"}}}},
        "PhoneWarning": {
            "type": "object",
            "required": ["id", "reference", "level", "resident", "phone", "received_at", "deadline_at", "attempts"],
            "properties": {
                "id": {"type": "integer"}, "reference": {"type": "string"},
                "level": {"enum": ["high", "medium", "low"]},
                "level_label": {"type": "string"}, "resident": {"type": "string"},
                "phone": {"type": ["string", "null"]}, "received_at": {"type": "string"},
                "deadline_at": {"type": "string"}, "first_face_at": {"type": ["string", "null"]},
                "closed_at": {"type": ["string", "null"]}, "outcome": {"type": ["string", "null"]},
                "area_name": {"type": "string"},
                "household": {"oneOf": [{"type": "null"}, {"type": "object", "properties": {
                    "id": {"type": "integer"}, "door_label": {"type": "string"}, "grid_name": {"type": "string"},
                    "head": {"type": "string"}}}]},
                "attempts": {"type": "array", "items": {"type": "object", "properties": {
                    "uuid": {"type": ["string", "null"]}, "at": {"type": "string"}, "kind": {"enum": ["face", "phone"]},
                    "result": {"type": "string"}}}}}},
    }
    error = {"$ref": "#/components/schemas/Error"}
    batch = {"$ref": "#/components/schemas/ActionBatchResult"}
    paths = {
        "/warnings": {"get": {
            "summary": "Open warnings assigned to the grid worker, and those closed in the last 24 hours",
            "description": "Soonest deadline first. The whole phone number of an open warning is given, so that "
                           "the worker can call; its first showing to the worker is audited.",
            "responses": {
                "200": _json({"type": "object", "required": ["warnings"], "properties": {"warnings": {
                    "type": "array", "items": {"$ref": "#/components/schemas/PhoneWarning"}}}}, "Warnings"),
                "401": _json(error, "Not logged in"), "403": _json(error, "Not a grid worker")}}},
        "/warnings/actions": {"post": {
            "summary": "Record attempts and closings from the phone; answers per item",
            "description": "Idempotent on each action's uuid: the same uuid with the same content is 'duplicate'; "
                           "with other content it is 'conflict'. Rejected items carry a code (invalid, not_yours, "
                           "closed, bad_time, no_attempt) and whether the worker can mend them. Status 200 when "
                           "all are created or duplicate, 409 when some conflict, 400 when some are rejected.",
            "security": [{"session": [], "csrf": []}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["actions"], "additionalProperties": False,
                "properties": {"actions": {"type": "array", "minItems": 1, "maxItems": 200, "items": {
                    "oneOf": [{"$ref": "#/components/schemas/WarningAttemptIn"},
                              {"$ref": "#/components/schemas/WarningCloseIn"}],
                    "discriminator": {"propertyName": "type", "mapping": {
                        "attempt": "#/components/schemas/WarningAttemptIn",
                        "close": "#/components/schemas/WarningCloseIn"}}}}}}}}},
            "responses": {
                "200": _json(batch, "Every item created or duplicate"),
                "400": _json({"oneOf": [error, batch]}, "Bad body, or some items rejected"),
                "409": _json(batch, "Some items conflict"),
                "401": _json(error, "Not logged in"), "403": _json(error, "Not a grid worker"),
                "503": _json(error, "Database busy; retry later")}}},
    }
    return components, paths
