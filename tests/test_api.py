"""The JSON API: per-item answers, clear 4xx for bad input (never 500), and area rules as in pages."""
import json
import threading
import time

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from campaign.extensions import db
from campaign.visits.models import GridTally, Visit
from campaign.visits.rebuild import rebuild_round

from . import factories, visiting


@pytest.fixture
def api_county(app):
    with app.app_context():
        c = factories.small_county()
        c.round = factories.RoundFactory(area=c.root)
        db.session.commit()
        return factories.snapshot(c)


def post(client, *items, raw=None):
    if raw is not None:
        return client.post("/api/v1/visits", data=raw, content_type="application/json")
    return client.post("/api/v1/visits", json={"visits": list(items)})


def test_openapi_document_is_valid_and_public(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    assert {"/visits", "/coverage", "/walklist", "/session"} <= set(document["paths"])
    assert "uuid" in document["components"]["schemas"]["VisitIn"]["properties"]


def test_batch_answers_per_item(client, auth, api_county):
    auth.login("worker_a")
    c = api_county
    good = visiting.visit(c.households_a[0], c.round.id)
    response = post(client, good, visiting.visit(c.households_b[0], c.round.id, minutes=5))
    body = response.get_json()
    assert response.status_code == 400
    assert [r["status"] for r in body["results"]] == ["created", "rejected"]
    assert body["summary"] == {"created": 1, "duplicate": 0, "conflict": 0, "rejected": 1}
    assert body["results"][1]["code"] == "household_unknown" and body["results"][1]["reason"]
    again = post(client, good)
    assert again.status_code == 200 and again.get_json()["results"][0]["status"] == "duplicate"
    conflict = post(client, {**good, "materials": 5})
    assert conflict.status_code == 409 and conflict.get_json()["results"][0]["code"] == "conflict"


@pytest.mark.parametrize("raw, reason", [
    ("{not json", "must be JSON"),
    ("[1, 2]", "Input should be"),
    ('{"visits": []}', "at least 1"),
    ('{"visits": [1]}', "JSON object"),
    ('{"visits": "all"}', "valid list"),
    ('{"items": []}', "visits"),
])
def test_bad_bodies_get_400_with_a_reason(client, auth, api_county, raw, reason):
    auth.login("worker_a")
    response = post(client, raw=raw)
    assert response.status_code == 400
    body = response.get_json()
    assert reason in (body.get("error") or json.dumps(body))


def test_more_than_200_visits_in_a_batch_are_refused(client, auth, api_county):
    auth.login("worker_a")
    item = visiting.visit(api_county.households_a[0], api_county.round.id)
    assert post(client, *([item] * 201)).status_code == 400


def test_wrong_types_are_400_never_500(client, auth, api_county, app):
    """(A time in the future is no longer refused: see test_visit_trust.)"""
    auth.login("worker_a")
    c = api_county
    cases = [
        {**visiting.visit(c.households_a[0], c.round.id), "household_id": "12"},
        {**visiting.visit(c.households_a[0], c.round.id), "visited_at": "2999-01-01T00:00:00+08:00"},
        {**visiting.visit(c.households_a[0], c.round.id), "household_id": 10**9},
        {**visiting.visit(c.households_a[0], c.round.id), "gps": "here"},
        {**visiting.visit(c.households_a[0], c.round.id), "note": "长" * 600},
    ]
    for item in cases:
        response = post(client, item)
        assert response.status_code == 400, item
        assert response.get_json()["results"][0]["reason"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 0


def test_only_grid_workers_post_visits(client, auth, api_county):
    auth.login("official_a")
    response = post(client, visiting.visit(api_county.households_a[0], api_county.round.id))
    assert response.status_code == 403 and "grid workers" in response.get_json()["error"]


def test_anonymous_gets_401_json(client, api_county):
    response = post(client, visiting.visit(api_county.households_a[0], api_county.round.id))
    assert response.status_code == 401 and response.get_json()["error"]


def test_writes_need_the_csrf_header_from_the_session(app, api_county):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"username": "worker_a", "password": "test-password-1", "csrf_token": token})
    item = visiting.visit(api_county.households_a[0], api_county.round.id)
    refused = client.post("/api/v1/visits", json={"visits": [item]})
    assert refused.status_code == 400 and "CSRF" in refused.get_json()["error"]
    fresh = client.get("/api/v1/session").get_json()["csrf_token"]
    accepted = client.post("/api/v1/visits", json={"visits": [item]}, headers={"X-CSRFToken": fresh})
    assert accepted.status_code == 200


def test_coverage_of_any_area_the_user_may_see(client, auth, api_county):
    auth.login("worker_a")
    post(client, visiting.visit(api_county.households_a[0], api_county.round.id))
    auth.logout()
    auth.login("official_a")
    body = client.get(f"/api/v1/coverage?round={api_county.round.id}&area=610923100").get_json()
    assert body["figures"]["reached"] == 1 and body["figures"]["in_scope"] == 4
    assert [child["code"] for child in body["children"]] == ["610923100001"]
    assert client.get("/api/v1/coverage?area=610923100001001").get_json()["figures"]["coverage"] == 0.3333
    assert client.get("/api/v1/coverage?area=610923101").status_code == 404
    assert client.get("/api/v1/coverage?area=610923").status_code == 404


@pytest.mark.parametrize("query, status", [("round=abc", 400), ("round=999", 404), ("area=nope", 404)])
def test_coverage_bad_parameters(client, auth, api_county, query, status):
    auth.login("official_a")
    response = client.get(f"/api/v1/coverage?{query}")
    assert response.status_code == status and response.get_json()["error"]


def test_walklist_lists_the_grid_with_statuses(client, auth, api_county):
    auth.login("worker_a")
    post(client, visiting.visit(api_county.households_a[0], api_county.round.id, outcome="not_home"))
    body = client.get("/api/v1/walklist?grid=610923100001001").get_json()
    assert body["round"]["id"] == api_county.round.id
    statuses = {h["id"]: h["status"] for h in body["households"]}
    assert statuses[api_county.households_a[0].id] == "not_home" and len(statuses) == 3
    assert all("*" in h["head"] for h in body["households"])
    assert client.get("/api/v1/walklist?grid=610923101001001").status_code == 404
    assert client.get("/api/v1/walklist").status_code == 400
    assert client.get("/api/v1/walklist?grid=610923100001").status_code == 404  # a village, not the worker's grid


def test_session_gives_a_token_and_the_workers_grids(client, auth, api_county):
    auth.login("worker_a")
    body = client.get("/api/v1/session").get_json()
    assert body["csrf_token"] and body["user"]["role"] == "worker"
    assert [a["code"] for a in body["areas"]] == ["610923100001001"]


def test_figures_stay_exact_under_concurrent_posting(app, api_county):
    """Eight phones post overlapping batches at once; the tallies equal a recount from the visits."""
    c = api_county
    with app.app_context():
        grid = db.session.get(factories.Area, c.grid_a1.id)
        extra = [factories.HouseholdFactory(grid=grid, lat=33.3 + i / 1000, lon=108.3) for i in range(12)]
        db.session.commit()
        households = [h.id for h in extra] + [h.id for h in c.households_a[:3]]
    shared = [visiting.visit(type("H", (), {"id": hid, "lat": 33.3, "lon": 108.3}), c.round.id, minutes=i * 2)
              for i, hid in enumerate(households)]
    errors = []

    def phone(offset):
        client = app.test_client()
        client.post("/login", data={"username": "worker_a", "password": "test-password-1"})
        mine = [visiting.visit(type("H", (), {"id": hid, "lat": 33.3, "lon": 108.3}), c.round.id,
                               outcome=["not_home", "reached", "refused"][(offset + i) % 3], minutes=offset + i * 3)
                for i, hid in enumerate(households)]
        for start in range(0, len(mine), 5):
            batch = {"visits": shared[start:start + 5] + mine[start:start + 5]}
            for _attempt in range(20):  # a busy database answers 503, and the phone sends the batch again
                response = client.post("/api/v1/visits", json=batch)
                if response.status_code != 503:
                    break
                time.sleep(0.05)
            if response.status_code not in (200, 409):
                errors.append(response.get_data(as_text=True))

    threads = [threading.Thread(target=phone, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == len(households) * 9
        before = db.session.execute(sa.select(GridTally.reached, GridTally.not_home, GridTally.refused,
                                              GridTally.visits, GridTally.people_briefed)).all()
        rebuild_round(c.round.id)
        after = db.session.execute(sa.select(GridTally.reached, GridTally.not_home, GridTally.refused,
                                             GridTally.visits, GridTally.people_briefed)).all()
        assert sorted(before) == sorted(after)
