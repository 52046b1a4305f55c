"""The OpenAPI 3.1 description of /api/v1. Request bodies come from the pydantic models that
check them, so the document and the checks cannot drift apart."""
from __future__ import annotations

from functools import cache

from campaign.visits.models import GeoCheck
from campaign.visits.schemas import VisitIn
from campaign.visits.services import MENDABLE
from campaign.warnings.schemas import openapi_parts as warning_parts

ERROR = {"$ref": "#/components/schemas/Error"}
# Every answer carries these; a captive portal's or a proxy's page lacks them.
HEADERS = {"X-Wuzha-App": {"$ref": "#/components/headers/X-Wuzha-App"},
           "X-Server-Time": {"$ref": "#/components/headers/X-Server-Time"}}
REFUSALS = ["invalid", "household_unknown", "round_mismatch", "outside_round", "round_unknown", "conflict"]


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "headers": HEADERS, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    text = {400: "Bad input, with the reason", 401: "Not logged in", 403: "Not allowed for this role",
            404: "Unknown, or outside the user's area", 409: "A visit UUID was already used for other content",
            503: "Database busy; retry later"}
    return {str(code): _json(ERROR, text[code]) for code in codes}


@cache
def document() -> dict:
    visit = VisitIn.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = visit.pop("$defs", {})
    area_param = {"name": "area", "in": "query", "schema": {"type": "string"},
                  "description": "Division code; defaults to the user's own area"}
    round_param = {"name": "round", "in": "query", "schema": {"type": "integer"},
                   "description": "Round id; defaults to the round in progress"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Fraud-free campaign ledger API", "version": "1",
                 "description": "Log in through /login (session cookie). Writes send the CSRF token from "
                                "GET /api/v1/session in the X-CSRFToken header."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "headers": {
                "X-Wuzha-App": {"description": "Always 1: the answer comes from this app",
                                "schema": {"type": "string", "enum": ["1"]}},
                "X-Server-Time": {"description": "The server's clock, in whole milliseconds since the Unix epoch",
                                  "schema": {"type": "string", "pattern": "^[0-9]+$"}}},
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "session"},
                                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRFToken"}},
            "schemas": {
                **defs,
                "VisitIn": visit,
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
                "ItemResult": {
                    "type": "object", "required": ["status"],
                    "properties": {
                        "uuid": {"type": ["string", "null"]},
                        "status": {"enum": ["created", "duplicate", "conflict", "rejected"]},
                        "code": {"enum": REFUSALS, "description": "Why a visit was rejected or conflicts. Mendable: "
                                 + ", ".join(sorted(MENDABLE)) + "; the others are final."},
                        "mendable": {"type": "boolean", "description": "Rejected only: whether the worker can put "
                                     "it right (another household, a corrected time) and send it again, same uuid"},
                        "reason": {"type": "string", "description": "What went wrong and what to do, in the "
                                   "user's language; for 'invalid' it ends with the technical detail"},
                        "round": {"type": "object", "required": ["id", "starts_on", "ends_on"],
                                  "description": "outside_round only: the round's dates",
                                  "properties": {"id": {"type": "integer"},
                                                 "starts_on": {"type": "string", "format": "date"},
                                                 "ends_on": {"type": "string", "format": "date"}}},
                        "visit_id": {"type": "integer"},
                        "geo": {"enum": [g.value for g in GeoCheck]},
                        "too_fast": {"type": "boolean"},
                        "time_trusted": {"type": "boolean", "description": "Created only: false when the visit's "
                                         "time could not be trusted (stored at the time the server received it "
                                         "if it was in the future)"}}},
                "BatchResult": {
                    "type": "object", "required": ["results", "summary"],
                    "properties": {"results": {"type": "array", "items": {"$ref": "#/components/schemas/ItemResult"}},
                                   "summary": {"type": "object", "additionalProperties": {"type": "integer"}}}},
                "Figures": {"type": "object", "additionalProperties": {"type": ["number", "null"]}},
                **warning_parts(_json)[0],
            },
        },
        "security": [{"session": []}],
        "paths": {
            "/session": {"get": {"summary": "The logged-in user, a CSRF token, the server's clock and the user's areas",
                                 "responses": {"200": _json({"type": "object", "properties": {
                                     "csrf_token": {"type": "string"},
                                     "server_time": {"type": "integer",
                                                     "description": "Milliseconds since the Unix epoch"}}},
                                     "Session"), **_errors(401)}}},
            "/rounds": {"get": {"summary": "Rounds of the user's county, newest first",
                                "responses": {"200": _json({"type": "object"}, "Rounds"), **_errors(401)}}},
            "/walklist": {"get": {
                "summary": "A grid's households and where each stands in the round",
                "parameters": [{"name": "grid", "in": "query", "required": True, "schema": {"type": "string"}},
                               round_param],
                "responses": {"200": _json({"type": "object"}, "Walk list"), **_errors(400, 401, 404)}}},
            "/visits": {"post": {
                "summary": "Record a batch of visits; answers per item",
                "description": "Idempotent on each visit's uuid: the same uuid with the same content is "
                               "'duplicate' and counted once; with other content it is 'conflict'. Items are "
                               "independent. Status 200 when all are created or duplicate, 409 when some "
                               "conflict, 400 when some are rejected (each with its code, whether it is "
                               "mendable, and its reason). A rejected item leaves nothing behind, so a mended "
                               "one is sent again under the same uuid. A visit timed more than 5 minutes in "
                               "the future is not rejected: it is stored at the time the server received it, "
                               "with time_trusted false.",
                "security": [{"session": [], "csrf": []}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["visits"], "additionalProperties": False,
                    "properties": {"visits": {"type": "array", "minItems": 1, "maxItems": 200,
                                              "items": {"$ref": "#/components/schemas/VisitIn"}}}}}}},
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/BatchResult"}, "Every item created or duplicate"),
                    "400": _json({"oneOf": [ERROR, {"$ref": "#/components/schemas/BatchResult"}]},
                                 "Bad body, or some items rejected"),
                    "409": _json({"$ref": "#/components/schemas/BatchResult"}, "Some items conflict"),
                    **_errors(401, 403, 503)}}},
            "/coverage": {"get": {
                "summary": "Coverage of an area in a round, with its sub-areas",
                "parameters": [area_param, round_param],
                "responses": {"200": _json({"type": "object", "properties": {
                    "figures": {"$ref": "#/components/schemas/Figures"},
                    "children": {"type": "array", "items": {"type": "object"}}}}, "Coverage"),
                    **_errors(400, 401, 404)}}},
            **warning_parts(_json)[1],  # GET /warnings and POST /warnings/actions
            "/openapi.json": {"get": {"summary": "This document", "security": [],
                                      "responses": {"200": {"description": "OpenAPI document",
                                                            "headers": HEADERS}}}},
        },
    }
