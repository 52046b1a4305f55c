"""One UUID raced from several sessions at once (issue 17): each item is answered as it would be if the
batches had come one after another. The first stored stands; a different content is a conflict (409),
the same content a duplicate, never a 500, and the tallies equal a rebuild from the visits."""
from __future__ import annotations

import threading
import time
import uuid
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from campaign.extensions import db
from campaign.visits.models import GridTally, RoundHousehold, Visit, WorkerTally
from campaign.visits.rebuild import rebuild_round
from campaign.warnings.models import FraudWarning, WarningAttempt

from . import factories, visiting
from .test_warning_phone_api import attempt, closing, new_warning

SESSIONS = 3


@pytest.fixture
def race_county(app):
    """worker_a works three grids (one household picked in each); worker_b and worker_c one grid each."""
    with app.app_context():
        c = factories.small_county()
        c.round = factories.RoundFactory(area=c.root)
        c.worker_a.grids = [c.grid_a1, c.grid_a2, c.grid_b1]
        c.worker_c = factories.UserFactory(username="worker_c", grids=[c.grid_a2])
        warnings = [new_warning(c, worker=c.worker_a) for _ in range(SESSIONS)]
        db.session.commit()
        return SimpleNamespace(round=c.round.id, warnings=[w.id for w in warnings],
                               homes=factories.snapshot([c.households_a[0], c.households_a[3], c.households_b[0]]))


def race(app, path: str, bodies: list[tuple[str, dict]]) -> list[tuple[int, dict]]:
    """Post each (username, body) from its own logged-in session, all released at once by a barrier.
    A busy database answers 503 and the phone sends the same batch again, as the real one does."""
    clients = []
    for username, _body in bodies:
        client = app.test_client()
        assert client.post("/login", data={"username": username, "password": factories.PASSWORD}).status_code == 302
        client.post("/lang/en")
        clients.append(client)
    barrier, answers = threading.Barrier(len(bodies)), [None] * len(bodies)

    def phone(n: int) -> None:
        barrier.wait()
        try:
            for _attempt in range(40):
                response = clients[n].post(path, json=bodies[n][1])
                if response.status_code != 503:
                    break
                time.sleep(0.05)
        except Exception as error:  # noqa: BLE001  (the test app raises what a live one answers with 500)
            answers[n] = (500, repr(error))
            return
        answers[n] = (response.status_code, response.get_json(silent=True) or response.get_data(as_text=True))

    threads = [threading.Thread(target=phone, args=(n,)) for n in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def statuses(answers, index: int = 0) -> list[str]:
    return sorted(body["results"][index]["status"] for _code, body in answers)


def tallies_equal_a_rebuild(round_id: int) -> None:
    def figures():
        db.session.expire_all()
        return [sorted(tuple(row) for row in db.session.execute(sa.select(*model.__table__.c)
                                                                .where(model.round_id == round_id)))
                for model in (GridTally, WorkerTally, RoundHousehold)]
    before = [[row for row in rows if any(row[2:])] for rows in figures()]  # a locked but empty grid tally
    rebuild_round(round_id)
    after = figures()
    assert before[0] == [row for row in after[0] if any(row[2:])]
    assert before[1:] == after[1:]
    db.session.rollback()


def stored(uuid_: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Visit).where(Visit.uuid == uuid_))


@pytest.mark.parametrize("repeat", range(3))
def test_one_uuid_with_different_content_in_three_grids_is_one_visit_and_two_conflicts(app, race_county, repeat):
    c, same = race_county, str(uuid.uuid4())
    bodies = [("worker_a", {"visits": [visiting.visit(home, c.round, uuid=same, minutes=n)]})
              for n, home in enumerate(c.homes)]
    answers = race(app, "/api/v1/visits", bodies)
    assert sorted(code for code, _body in answers) == [200, 409, 409], answers
    assert statuses(answers) == ["conflict", "conflict", "created"]
    for code, body in answers:
        if code == 409:
            assert body["results"][0]["code"] == "conflict" and "different content" in body["results"][0]["reason"]
            assert body["summary"] == {"created": 0, "duplicate": 0, "conflict": 1, "rejected": 0}
    with app.app_context():
        assert stored(same) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 1
        tallies_equal_a_rebuild(c.round)


def test_one_uuid_with_the_same_content_from_three_sessions_is_stored_once(app, race_county):
    c, same = race_county, visiting.visit(race_county.homes[0], race_county.round)
    answers = race(app, "/api/v1/visits", [("worker_a", {"visits": [same]})] * SESSIONS)
    assert [code for code, _body in answers] == [200] * SESSIONS, answers
    assert statuses(answers) == ["created", "duplicate", "duplicate"]
    assert len({body["results"][0]["visit_id"] for _code, body in answers}) == 1
    with app.app_context():
        assert stored(same["uuid"]) == 1
        tallies_equal_a_rebuild(c.round)
        assert db.session.scalar(sa.select(WorkerTally.visits)) == 1


def test_one_uuid_from_three_workers_in_three_grids_is_another_workers_visit_for_two(app, race_county):
    c, same = race_county, str(uuid.uuid4())
    bodies = [(name, {"visits": [visiting.visit(home, c.round, uuid=same)]})
              for name, home in zip(("worker_a", "worker_c", "worker_b"), [c.homes[0], c.homes[1], c.homes[2]],
                                    strict=True)]
    answers = race(app, "/api/v1/visits", bodies)
    assert sorted(code for code, _body in answers) == [200, 409, 409], answers
    assert statuses(answers) == ["conflict", "conflict", "created"]
    with app.app_context():
        assert stored(same) == 1
        tallies_equal_a_rebuild(c.round)


def test_batches_sharing_uuids_in_other_orders_are_answered_item_by_item(app, race_county):
    """Each session sends the same five UUIDs (its own content, in its own order) and five of its own:
    every shared UUID is stored once, every own visit is stored, and nothing waits forever."""
    c = race_county
    with app.app_context():
        extra = [[factories.HouseholdFactory(grid=db.session.get(factories.Area, home.grid_id))
                  for _ in range(5)] for home in c.homes]
        db.session.commit()
        extra = factories.snapshot(extra)
    shared = [str(uuid.uuid4()) for _ in range(5)]
    bodies = []
    for n in range(SESSIONS):
        order = shared[n:] + shared[:n] if n % 2 == 0 else list(reversed(shared))
        mine = [visiting.visit(extra[n][i], c.round, uuid=u, minutes=n * 20 + i) for i, u in enumerate(order)]
        own = [visiting.visit(extra[n][i], c.round, outcome="not_home", minutes=n * 20 + 10 + i) for i in range(5)]
        bodies.append(("worker_a", {"visits": mine + own}))
    answers = race(app, "/api/v1/visits", bodies)
    assert all(code in (200, 409) for code, _body in answers), answers
    by_uuid: dict[str, list[str]] = {}
    for _code, body in answers:
        assert [r["status"] for r in body["results"][5:]] == ["created"] * 5
        for result in body["results"][:5]:
            by_uuid.setdefault(result["uuid"], []).append(result["status"])
    assert {u: sorted(s) for u, s in by_uuid.items()} == {u: ["conflict", "conflict", "created"] for u in shared}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 5 + 5 * SESSIONS
        tallies_equal_a_rebuild(c.round)


# --- warning actions -------------------------------------------------------------------------------

def actions_stored(uuid_: str) -> int:
    attempts = db.session.scalar(sa.select(sa.func.count()).select_from(WarningAttempt)
                                 .where(WarningAttempt.uuid == uuid_))
    closes = db.session.scalar(sa.select(sa.func.count()).select_from(FraudWarning)
                               .where(FraudWarning.close_uuid == uuid_))
    return attempts + closes


@pytest.mark.parametrize("repeat", range(2))
def test_one_action_uuid_on_three_warnings_is_one_attempt_and_two_conflicts(app, race_county, repeat):
    c, same = race_county, str(uuid.uuid4())
    bodies = [("worker_a", {"actions": [attempt(warning, uuid=same)]}) for warning in c.warnings]
    answers = race(app, "/api/v1/warnings/actions", bodies)
    assert sorted(code for code, _body in answers) == [200, 409, 409], answers
    assert statuses(answers) == ["conflict", "conflict", "created"]
    with app.app_context():
        assert actions_stored(same) == 1


def test_one_action_with_the_same_content_from_three_sessions_is_stored_once(app, race_county):
    item = attempt(race_county.warnings[0])
    answers = race(app, "/api/v1/warnings/actions", [("worker_a", {"actions": [item]})] * SESSIONS)
    assert [code for code, _body in answers] == [200] * SESSIONS, answers
    assert statuses(answers) == ["created", "duplicate", "duplicate"]
    with app.app_context():
        assert actions_stored(item["uuid"]) == 1


def test_one_uuid_as_an_attempt_and_as_closings_of_other_warnings_is_stored_once(app, race_county):
    """The closing's UUID lives on the warning, the attempt's in its own table: no unique index spans
    both, yet the UUID is stored once."""
    c, same = race_county, str(uuid.uuid4())
    bodies = [("worker_a", {"actions": [attempt(c.warnings[0], uuid=same)]})]
    for warning in c.warnings[1:]:
        bodies.append(("worker_a", {"actions": [attempt(warning, minutes=-20), closing(warning, uuid=same)]}))
    answers = race(app, "/api/v1/warnings/actions", bodies)
    assert all(code in (200, 409) for code, _body in answers), answers
    assert sorted(body["results"][-1]["status"] for _code, body in answers) == ["conflict", "conflict", "created"]
    with app.app_context():
        assert actions_stored(same) == 1


# --- the issue's case, over real HTTP against gunicorn ---------------------------------------------

def phone_session(base: str, username: str):
    import requests

    session = requests.Session()
    page = session.get(f"{base}/login").text
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    session.post(f"{base}/login", data={"username": username, "password": factories.PASSWORD, "csrf_token": token})
    session.headers["X-CSRFToken"] = session.get(f"{base}/api/v1/session").json()["csrf_token"]
    return session


def test_the_issues_race_over_http_answers_409_not_500(app, race_county, gunicorn_server):
    c, same = race_county, str(uuid.uuid4())
    sessions = [phone_session(gunicorn_server, "worker_a") for _ in range(SESSIONS)]
    barrier, answers = threading.Barrier(SESSIONS), [None] * SESSIONS

    def phone(n: int) -> None:
        body = {"visits": [visiting.visit(c.homes[n], c.round, uuid=same, minutes=n)]}
        barrier.wait()
        for _attempt in range(40):
            response = sessions[n].post(f"{gunicorn_server}/api/v1/visits", json=body, timeout=30)
            if response.status_code != 503:
                break
            time.sleep(0.05)
        answers[n] = response.status_code

    threads = [threading.Thread(target=phone, args=(n,)) for n in range(SESSIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 409, 409]
    with app.app_context():
        assert stored(same) == 1
        tallies_equal_a_rebuild(c.round)
