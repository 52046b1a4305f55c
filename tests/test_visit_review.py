"""Reviewing visits (审核): a rejected visit stops counting, figures always equal a rebuild, reviews
are audited, officials review within their area only, and workers read why their visits were questioned.

Pages are read in English (the language switch), so these tests do not depend on the catalog."""
from __future__ import annotations

import random
import threading
import time

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from campaign.audit.models import AuditEntry
from campaign.audit.present import present
from campaign.coverage.services import area_figures
from campaign.extensions import db
from campaign.review.services import review_visits
from campaign.review.states import ReviewState
from campaign.visits.models import GridTally, Outcome, RoundHousehold, Visit, WorkerTally
from campaign.visits.rebuild import rebuild_round
from campaign.visits.services import record_visits

from . import factories, visiting

RECEIVED, VERIFIED, HAS_ISSUES, REJECTED = ReviewState


@pytest.fixture
def world(ctx):
    c = factories.small_county()
    c.round = factories.RoundFactory(area=c.root)
    for i, household in enumerate(c.households_a):
        household.lat, household.lon = 33.3, 108.3 + i * 0.00065
    c.worker_c = factories.UserFactory(username="worker_c", grids=[c.grid_a1])
    db.session.commit()
    return c


def log(c, worker, household, **kwargs) -> int:
    result = record_visits(worker=worker, items=[visiting.visit(household, c.round.id, **kwargs)])[0]
    assert result.status == "created"
    db.session.commit()
    return result.visit_id


def review(c, ids, state, note="", user=None):
    changed = review_visits(visit_ids=ids, state=state, note=note, user=user or c.official_a)
    db.session.commit()
    return changed


def figures(c):
    return area_figures(c.round.id, c.town_a)


def snapshot_tallies(round_id):
    db.session.expire_all()
    grids = sorted(tuple(getattr(g, col.key) for col in GridTally.__table__.columns)
                   for g in db.session.scalars(sa.select(GridTally).where(GridTally.round_id == round_id)))
    homes = db.session.execute(sa.select(
        RoundHousehold.household_id, RoundHousehold.status, RoundHousehold.visits, RoundHousehold.people_briefed,
        RoundHousehold.app_installs, RoundHousehold.last_visit_at)
        .where(RoundHousehold.round_id == round_id).order_by(RoundHousehold.household_id)).all()
    workers = db.session.execute(sa.select(WorkerTally.worker_id, WorkerTally.visits, WorkerTally.reached,
                                           WorkerTally.flagged).order_by(WorkerTally.worker_id)).all()
    return [g for g in grids if any(g[2:])], homes, [w for w in workers if any(w[1:])]


def equals_a_rebuild(round_id) -> bool:
    incremental = snapshot_tallies(round_id)
    rebuild_round(round_id)
    db.session.commit()
    return snapshot_tallies(round_id) == incremental


def test_every_visit_starts_received(world):
    visit = db.session.get(Visit, log(world, world.worker_a, world.households_a[0]))
    assert visit.review_state is RECEIVED and visit.reviewed_by_id is None and visit.review_note == ""


def test_a_rejected_visit_stops_counting_and_unrejecting_restores(world):
    h = world.households_a[0]
    visit_id = log(world, world.worker_a, h, people=3, installs=2)
    before = figures(world)
    assert (before.reached, before.people_briefed, before.app_installs) == (1, 3, 2)
    review(world, [visit_id], REJECTED, "在办公室补录")
    after = figures(world)
    assert (after.reached, after.people_briefed, after.app_installs) == (0, 0, 0)
    assert after.visits == 1  # still a visit record, with its signals
    assert db.session.get(RoundHousehold, (world.round.id, h.id)) is None
    assert db.session.get(WorkerTally, (world.round.id, world.worker_a.id)).reached == 0
    assert equals_a_rebuild(world.round.id)
    review(world, [visit_id], VERIFIED)
    again = figures(world)
    assert (again.reached, again.people_briefed, again.app_installs) == (1, 3, 2)
    assert equals_a_rebuild(world.round.id)


def test_another_visit_of_the_household_keeps_it_counted(world):
    h = world.households_a[0]
    first = log(world, world.worker_a, h, outcome="not_home", minutes=0)
    reached = log(world, world.worker_c, h, minutes=30, people=4)
    review(world, [reached], REJECTED, "无人在家却记为已入户")
    f = figures(world)
    assert (f.reached, f.not_home, f.people_briefed) == (0, 1, 0)
    assert db.session.get(RoundHousehold, (world.round.id, h.id)).status is Outcome.NOT_HOME
    assert equals_a_rebuild(world.round.id)
    later = log(world, world.worker_a, h, minutes=60, people=1)
    review(world, [first], REJECTED, "重复")
    f = figures(world)
    assert (f.reached, f.not_home, f.people_briefed) == (1, 0, 1)
    assert equals_a_rebuild(world.round.id)
    review(world, [reached], RECEIVED)  # the earlier reaching visit counts again, and its worker with it
    assert db.session.get(WorkerTally, (world.round.id, world.worker_c.id)).reached == 1
    assert db.session.get(WorkerTally, (world.round.id, world.worker_a.id)).reached == 0
    assert figures(world).people_briefed == 4
    assert equals_a_rebuild(world.round.id)
    assert later


def test_reviewing_twice_changes_nothing(world):
    visit_id = log(world, world.worker_a, world.households_a[0])
    assert len(review(world, [visit_id], REJECTED, "假")) == 1
    once = snapshot_tallies(world.round.id)
    assert review(world, [visit_id], REJECTED, "假") == []
    assert snapshot_tallies(world.round.id) == once
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.subject == "visit")) == 1


def test_questioning_or_rejecting_says_why(world):
    from campaign.core.errors import DomainError

    visit_id = log(world, world.worker_a, world.households_a[0])
    for state in (HAS_ISSUES, REJECTED):
        with pytest.raises(DomainError):
            review_visits(visit_ids=[visit_id], state=state, note="  ", user=world.official_a)
    db.session.rollback()
    assert review(world, [visit_id], VERIFIED)  # verifying needs no comment


def test_random_reviews_keep_the_tallies_equal_to_a_rebuild(world):
    rng = random.Random(16)
    homes = world.households_a[:3] + [factories.HouseholdFactory(grid=world.grid_a1) for _ in range(5)]
    db.session.commit()
    outcomes = [rng.choice(["reached", "not_home", "refused", "vacant"]) for _ in range(30)]
    ids = [log(world, rng.choice([world.worker_a, world.worker_c]), rng.choice(homes), outcome=outcome, minutes=n,
               people=rng.randint(1, 3) if outcome == "reached" else 0, installs=rng.randint(0, 1))
           for n, outcome in enumerate(outcomes)]
    for _ in range(25):
        review(world, rng.sample(ids, rng.randint(1, 4)), rng.choice(list(ReviewState)), "抽查")
        # new visits keep arriving between reviews
        if rng.random() < 0.3:
            ids.append(log(world, world.worker_a, rng.choice(homes), minutes=40 + rng.random() * 20))
    assert equals_a_rebuild(world.round.id)


def test_a_review_is_in_the_audit_log_with_state_names_and_note(app, world):
    visit_id = log(world, world.worker_a, world.households_a[0])
    review(world, [visit_id], HAS_ISSUES, "定位离门口太远")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.subject == "visit"))
    assert (entry.action, entry.subject_id, entry.user_id) == ("review", visit_id, world.official_a.id)
    with app.test_request_context(), force_locale("en"):
        shown = present([entry], db.session.get(type(world.official_a), world.official_a.id))[0]
        text = shown.changes_text()
    assert "Received" in text and "Has issues" in text and "定位离门口太远" in text
    assert shown.action == "Reviewed" and shown.url and str(visit_id) in shown.url


# --- concurrency -------------------------------------------------------------------------------------

def test_concurrent_reviews_and_a_rebuild_leave_tallies_exact(app, world):
    """Officials review overlapping visits at once, the same ones twice, while a rebuild runs."""
    rng = random.Random(3)
    homes = world.households_a[:3] + [factories.HouseholdFactory(grid=world.grid_a1) for _ in range(4)]
    db.session.commit()
    outcomes = [rng.choice(["reached", "reached", "not_home"]) for _ in range(24)]
    ids = [log(world, rng.choice([world.worker_a, world.worker_c]), rng.choice(homes), outcome=outcome, minutes=n,
               people=rng.randint(0, 3) if outcome == "reached" else 0) for n, outcome in enumerate(outcomes)]
    official_id, round_id = world.official_a.id, world.round.id
    errors: list[str] = []
    barrier = threading.Barrier(5)

    def reviewer(seed: int) -> None:
        local = random.Random(seed)
        with app.app_context():
            official = db.session.get(type(world.official_a), official_id)
            barrier.wait()
            for _ in range(8):
                chosen = local.sample(ids, 3)
                state = local.choice([REJECTED, REJECTED, VERIFIED, RECEIVED])
                for _attempt in range(50):
                    try:
                        review_visits(visit_ids=chosen, state=state, note="并发", user=official)
                        db.session.commit()
                        break
                    except sa.exc.OperationalError as error:  # SQLite busy: try again, as a person would
                        db.session.rollback()
                        last = str(error)
                        time.sleep(0.02)
                else:
                    errors.append(last)

    def rebuilder() -> None:
        with app.app_context():
            barrier.wait()
            for _ in range(3):
                for _attempt in range(50):
                    try:
                        rebuild_round(round_id)
                        db.session.commit()
                        break
                    except sa.exc.OperationalError:
                        db.session.rollback()
                        time.sleep(0.02)
                time.sleep(0.01)

    threads = [threading.Thread(target=reviewer, args=(n,)) for n in range(4)] + [threading.Thread(target=rebuilder)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    db.session.remove()
    assert equals_a_rebuild(round_id)


# --- pages ---------------------------------------------------------------------------------------------

@pytest.fixture
def site(app):
    """A county with visits in townships A and B, as plain ids."""
    with app.app_context():
        c = factories.small_county()
        c.round = factories.RoundFactory(area=c.root)
        a = [record_visits(worker=c.worker_a, items=[visiting.visit(h, c.round.id, minutes=i * 5)])[0].visit_id
             for i, h in enumerate(c.households_a[:3])]
        b = record_visits(worker=c.worker_b, items=[visiting.visit(c.households_b[0], c.round.id)])[0].visit_id
        db.session.commit()
        return {"a": a, "b": b, "round": c.round.id}


def english(client, auth, username):
    auth.login(username)
    client.post("/lang/en", data={"next": "/"})


def state_of(app, visit_id):
    with app.app_context():
        return db.session.get(Visit, visit_id).review_state


def test_an_official_rejects_a_visit_from_its_page(app, client, auth, site):
    english(client, auth, "official_a")
    page = client.get(f"/review/visits/{site['a'][0]}").get_data(as_text=True)
    assert 'id="review-form"' in page and "Received" in page
    assert client.post(f"/review/visits/{site['a'][0]}", data={"state": "rejected", "note": ""}).status_code == 400
    response = client.post(f"/review/visits/{site['a'][0]}", data={"state": "rejected", "note": "补录"})
    assert response.status_code == 302 and "/visits/table" in response.headers["Location"]
    assert state_of(app, site["a"][0]) is REJECTED
    with app.app_context():
        town = db.session.scalar(sa.select(factories.Area).where(factories.Area.code == "610923100"))
        assert area_figures(site["round"], town).reached == 2


def test_bulk_review_changes_only_the_ticked_visits(app, client, auth, site):
    english(client, auth, "official_a")
    response = client.post("/review/visits", data={"visit": site["a"][:2], "state": "has_issues", "note": "定位可疑"})
    assert response.status_code == 302
    assert [state_of(app, i) for i in site["a"]] == [HAS_ISSUES, HAS_ISSUES, RECEIVED]


def test_bulk_review_with_a_visit_of_another_township_is_a_404_and_changes_nothing(app, client, auth, site):
    english(client, auth, "official_a")
    response = client.post("/review/visits", data={"visit": [site["a"][0], site["b"]], "state": "rejected",
                                                    "note": "作废"})
    assert response.status_code == 404
    assert state_of(app, site["a"][0]) is RECEIVED and state_of(app, site["b"]) is RECEIVED
    assert client.get(f"/review/visits/{site['b']}").status_code == 404


def test_a_worker_cannot_review(app, client, auth, site):
    english(client, auth, "worker_a")
    assert client.post(f"/review/visits/{site['a'][0]}", data={"state": "verified"}).status_code == 403
    assert client.post("/review/visits", data={"visit": site["a"][0], "state": "verified"}).status_code == 403
    assert state_of(app, site["a"][0]) is RECEIVED


def test_the_table_filters_and_shows_review_states(app, client, auth, site):
    english(client, auth, "official_a")
    client.post("/review/visits", data={"visit": site["a"][1], "state": "rejected", "note": "假走访"})
    page = client.get("/visits/table?review=rejected").get_data(as_text=True)
    assert page.count('data-review="rejected"') == 1 and "假走访" in page
    assert f'data-visit="{site["a"][1]}"' in page and f'data-visit="{site["a"][0]}"' not in page
    everything = client.get("/visits/table").get_data(as_text=True)
    assert 'form="bulk-review"' in everything and 'id="bulk-review"' in everything
    assert client.get("/visits/table?review=nonsense").status_code == 400


def test_a_worker_reads_why_their_visits_were_questioned(app, client, auth, site):
    auth.login("official_a")
    client.post("/review/visits", data={"visit": site["a"][0], "state": "has_issues", "note": "请补充照片"})
    client.post("/review/visits", data={"visit": site["a"][1], "state": "verified"})
    auth.logout()
    english(client, auth, "worker_a")
    assert 'href="/review/mine"' in client.get("/").get_data(as_text=True)
    page = client.get("/review/mine").get_data(as_text=True)
    assert "请补充照片" in page and "Has issues" in page
    assert f'data-visit="{site["a"][0]}"' in page and f'data-visit="{site["a"][1]}"' not in page
    auth.logout()
    english(client, auth, "worker_b")
    assert "请补充照片" not in client.get("/review/mine").get_data(as_text=True)
