"""Schemathesis against /api/v1/openapi.json, in-process through the WSGI app, logged in as a
grid worker: generated requests, valid and invalid, must never meet a server error, and the
answers must match the document. Bounded and derandomised, so it runs in every ``make test``."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from campaign.extensions import db

from . import factories
from .conftest import PASSWORD

EXAMPLES = 25  # per operation and generation mode: a whole run stays well under a minute
AGENT = "fuzz-phone"  # strong session protection ties the cookie to the address and browser that logged in
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def logged_in_cookie(app) -> str:
    with app.app_context():
        c = factories.small_county()
        factories.RoundFactory(area=c.root)
        db.session.commit()
    client = app.test_client()
    response = client.post("/login", data={"username": "worker_a", "password": PASSWORD},
                           headers={"User-Agent": AGENT})
    assert response.status_code == 302
    return client.get_cookie("session").value


def test_generated_api_requests_never_meet_a_server_error(app, logged_in_cookie):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"User-Agent": AGENT}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/session", "/rounds", "/walklist", "/visits", "/coverage"}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            def answers_without_a_server_error(case):
                response = case.call(headers=headers, cookies={"session": logged_in_cookie},
                                     environ_base={"REMOTE_ADDR": "127.0.0.1"})  # as when logging in
                case.validate_response(response, checks=CHECKS)

            answers_without_a_server_error()
