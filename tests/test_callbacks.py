"""Call-back samples (回访抽查): a draw reproducible from its seed, a minimum per village, a focused part
that prefers risky workers, checkers who never check their own visits, "not visited" that questions
the visit with tallies equal to a rebuild, an audited phone, and access kept to one's own area and tasks.

Pages are read in English (the language switch), so these tests do not depend on the catalog."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from campaign.audit.models import AuditEntry
from campaign.callbacks import sampling, services
from campaign.callbacks.models import CallbackSample, CallbackTask, Method, Reason, Result, TaskStatus
from campaign.callbacks.sampling import Candidate, draw, random_count
from campaign.core.errors import DomainError
from campaign.core.types import utcnow
from campaign.coverage.services import area_figures
from campaign.extensions import db
from campaign.review.states import ReviewState
from campaign.visits.models import Visit
from campaign.visits.services import record_visits

from . import factories, visiting
from .test_visit_review import equals_a_rebuild, snapshot_tallies

# --- the draw, as pure functions ------------------------------------------------------------------------

def candidates(villages: dict[int, int], *, workers=(1,)) -> list[Candidate]:
    """``villages``: village id -> households reached; households spread over ``workers`` in turn."""
    out, hid = [], 0
    for village, n in villages.items():
        for _ in range(n):
            hid += 1
            out.append(Candidate(hid, 10_000 + hid, village, workers[hid % len(workers)]))
    return out


def test_the_same_seed_draws_the_same_sample_whatever_the_order_of_the_rows():
    rows = candidates({1: 120, 2: 40, 3: 7}, workers=(1, 2, 3))
    one = draw(rows, seed=42, percent=5, minimum=3, focused=10, risk={2: 30.0})
    two = draw(list(reversed(rows)), seed=42, percent=5, minimum=3, focused=10, risk={2: 30.0})
    other = draw(rows, seed=43, percent=5, minimum=3, focused=10, risk={2: 30.0})
    assert one == two
    assert [p.candidate for p in one] != [p.candidate for p in other]


def test_each_village_gets_its_share_and_at_least_the_minimum_capped_by_what_exists():
    assert random_count(200, percent=5, minimum=3) == 10
    assert random_count(41, percent=5, minimum=3) == 3   # ceil(2.05) = 3
    assert random_count(61, percent=5, minimum=3) == 4   # ceil(3.05)
    assert random_count(2, percent=5, minimum=3) == 2    # only two exist
    picks = draw(candidates({1: 200, 2: 10, 3: 2}), seed=1, percent=5, minimum=3, focused=0, risk={})
    per_village = Counter(p.candidate.village_id for p in picks)
    assert per_village == {1: 10, 2: 3, 3: 2}
    assert {p.reason for p in picks} == {Reason.RANDOM}
    assert len({p.candidate.household_id for p in picks}) == len(picks)


def test_the_focused_part_prefers_the_risky_worker_and_never_repeats_a_household():
    rows = candidates({1: 300, 2: 300}, workers=(1, 2, 3))
    picks = draw(rows, seed=7, percent=5, minimum=3, focused=60, risk={2: 40.0, 3: 0.0})
    focused = [p for p in picks if p.reason is Reason.FOCUSED]
    assert len(focused) == 60
    by_worker = Counter(p.candidate.worker_id for p in focused)
    assert by_worker[2] >= 45, by_worker  # 41 times the weight of the others
    assert len({p.candidate.household_id for p in picks}) == len(picks)


def test_the_focused_part_is_capped_by_the_households_left():
    picks = draw(candidates({1: 5}), seed=3, percent=50, minimum=3, focused=100, risk={})
    assert len(picks) == 5 and Counter(p.reason for p in picks) == {Reason.RANDOM: 3, Reason.FOCUSED: 2}


# --- the service, on the database -------------------------------------------------------------------------

@pytest.fixture
def world(ctx):
    c = factories.small_county()
    c.round = factories.RoundFactory(area=c.root)
    c.worker_c = factories.UserFactory(username="worker_c", grids=[c.grid_a2])
    extra = [factories.HouseholdFactory(grid=c.grid_a1) for _ in range(16)]
    c.households_a = c.households_a + extra
    db.session.flush()
    for i, household in enumerate(c.households_a):
        worker = c.worker_c if household.grid_id == c.grid_a2.id else c.worker_a
        record_visits(worker=worker, items=[visiting.visit(household, c.round.id, minutes=i * 5, people=2)])
    record_visits(worker=c.worker_b, items=[visiting.visit(c.households_b[0], c.round.id)])
    db.session.commit()
    return c


def sample_rows(sample_id: int):
    return db.session.execute(sa.select(CallbackTask.household_id, CallbackTask.visit_id, CallbackTask.reason)
                              .where(CallbackTask.sample_id == sample_id).order_by(CallbackTask.household_id)).all()


def test_a_sample_is_stored_with_its_seed_and_drawn_again_from_it(world):
    first = sampling.draw_sample(round_=world.round, area=world.town_a, percent=5, minimum=3, focused=2,
                                 user=world.official_a)
    db.session.commit()
    again = sampling.draw_sample(round_=world.round, area=world.town_a, percent=5, minimum=3, focused=2,
                                 user=world.official_a, seed=first.seed)
    db.session.commit()
    assert first.seed == again.seed and 0 <= first.seed < sampling.MAX_SEED
    assert sample_rows(first.id) == sample_rows(again.id)
    rows = sample_rows(first.id)
    assert len(rows) == 3 + 2  # one village of 20: ceil(5 %) = 1, so the minimum 3; then 2 focused
    households_b = {h.id for h in world.households_b}
    assert not households_b & {r.household_id for r in rows}, "a township's sample stays in the township"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.subject == "callback_sample"))
    assert entry.subject_id == first.id and entry.changes["seed"][1] == first.seed


def test_a_rejected_visit_is_no_candidate(world):
    from campaign.review.services import review_visits

    rejected = db.session.scalar(sa.select(Visit).where(Visit.household_id == world.households_a[0].id))
    review_visits(visit_ids=[rejected.id], state=ReviewState.REJECTED, note="补录", user=world.official_a)
    db.session.commit()
    ids = {c.household_id for c in sampling.load_candidates(world.round.id, world.town_a)}
    assert world.households_a[0].id not in ids and len(ids) == len(world.households_a) - 1


def draw_all(world, area=None) -> CallbackSample:
    sample = sampling.draw_sample(round_=world.round, area=area or world.town_a, percent=100, minimum=0, focused=0,
                                  user=world.official_a, seed=5)
    db.session.commit()
    return sample


def test_checkers_never_get_their_own_visits(world):
    sample = draw_all(world)
    tasks = db.session.scalars(sa.select(CallbackTask).where(CallbackTask.sample_id == sample.id)).all()
    done = services.assign(sample=sample, tasks=tasks, checkers=[world.worker_a, world.worker_c],
                           user=world.official_a)
    db.session.commit()
    assert (done.assigned, done.skipped) == (len(tasks), 0)
    for task in tasks:
        assert task.checker_id != task.worker_id
    assert {t.checker_id for t in tasks} == {world.worker_a.id, world.worker_c.id}
    # worker_a alone may check only worker_c's households; the rest stay as they were
    for task in tasks:
        task.checker_id = None
    alone = services.assign(sample=sample, tasks=tasks, checkers=[world.worker_a], user=world.official_a)
    theirs = [t for t in tasks if t.worker_id == world.worker_a.id]
    assert alone.skipped == len(theirs) and all(t.checker_id is None for t in theirs)


def test_a_checker_outside_the_samples_area_is_refused(world):
    sample = draw_all(world)
    tasks = db.session.scalars(sa.select(CallbackTask).where(CallbackTask.sample_id == sample.id)).all()
    with pytest.raises(DomainError):
        services.assign(sample=sample, tasks=tasks, checkers=[world.worker_b], user=world.official_a)


def test_recording_a_result_for_ones_own_visit_is_refused(world):
    sample = draw_all(world)
    task = db.session.scalar(sa.select(CallbackTask).where(CallbackTask.sample_id == sample.id,
                                                           CallbackTask.worker_id == world.worker_a.id).limit(1))
    task.checker_id = world.worker_a.id  # as if assigned by hand, past the service
    db.session.commit()
    with pytest.raises(DomainError):
        services.log_attempt(task=task, at=utcnow(), method=Method.PHONE, note="", user=world.worker_a,
                             result=Result.CONFIRMED)


def test_not_visited_questions_the_visit_and_tallies_equal_a_rebuild(world):
    sample = draw_all(world)
    task = db.session.scalar(sa.select(CallbackTask).where(CallbackTask.sample_id == sample.id,
                                                           CallbackTask.worker_id == world.worker_a.id).limit(1))
    task.checker_id = world.worker_c.id
    db.session.commit()
    before = area_figures(world.round.id, world.town_a)
    tallies = snapshot_tallies(world.round.id)
    services.log_attempt(task=task, at=utcnow() - timedelta(minutes=5), method=Method.PHONE, note="接通",
                         user=world.worker_c, result=Result.NOT_VISITED, result_note="户主说没人来过")
    db.session.commit()
    visit = db.session.get(Visit, task.visit_id)
    assert visit.review_state is ReviewState.HAS_ISSUES and "户主说没人来过" in visit.review_note
    assert visit.reviewed_by_id == world.worker_c.id
    assert task.status is TaskStatus.DONE and task.done_at is not None
    after = area_figures(world.round.id, world.town_a)
    assert (after.reached, after.people_briefed) == (before.reached, before.people_briefed)  # questioned still counts
    assert snapshot_tallies(world.round.id) == tallies
    assert equals_a_rebuild(world.round.id)
    assert services.count_new_not_visited(world.official_a) == 1
    assert services.count_new_not_visited(world.official_b) == 0
    with pytest.raises(DomainError):  # a result is final
        services.log_attempt(task=task, at=utcnow(), method=Method.PHONE, note="", user=world.worker_c,
                             result=Result.CONFIRMED)
    actions = set(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.user_id == world.worker_c.id)))
    assert {"attempt", "close", "review"} <= actions


def test_a_rejected_visit_stays_rejected_after_not_visited(world):
    from campaign.review.services import review_visits

    sample = draw_all(world)
    task = db.session.scalar(sa.select(CallbackTask).where(CallbackTask.sample_id == sample.id,
                                                           CallbackTask.worker_id == world.worker_a.id).limit(1))
    task.checker_id = world.worker_c.id
    review_visits(visit_ids=[task.visit_id], state=ReviewState.REJECTED, note="补录", user=world.official_a)
    db.session.commit()
    services.log_attempt(task=task, at=utcnow(), method=Method.REVISIT, note="", user=world.worker_c,
                         result=Result.NOT_VISITED)
    db.session.commit()
    assert db.session.get(Visit, task.visit_id).review_state is ReviewState.REJECTED
    assert equals_a_rebuild(world.round.id)


def test_unreachable_only_after_n_attempts(world):
    sample = draw_all(world)
    task = db.session.scalar(sa.select(CallbackTask).where(CallbackTask.sample_id == sample.id,
                                                           CallbackTask.worker_id == world.worker_a.id).limit(1))
    task.checker_id = world.worker_c.id
    db.session.commit()
    n = services.ATTEMPTS_FOR_UNREACHABLE
    for i in range(n - 2):
        services.log_attempt(task=task, at=utcnow() - timedelta(hours=5 - i), method=Method.PHONE, note="未接",
                             user=world.worker_c)
        db.session.commit()
    with pytest.raises(DomainError):  # attempt n - 1 cannot say unreachable
        services.log_attempt(task=task, at=utcnow() - timedelta(hours=2), method=Method.PHONE, note="",
                             user=world.worker_c, result=Result.UNREACHABLE, result_note="")
    db.session.rollback()
    assert len(db.session.get(CallbackTask, task.id).attempts) == n - 2
    services.log_attempt(task=task, at=utcnow() - timedelta(hours=1), method=Method.PHONE, note="未接",
                         user=world.worker_c)
    services.log_attempt(task=task, at=utcnow(), method=Method.REVISIT, note="无人", user=world.worker_c,
                         result=Result.UNREACHABLE)
    db.session.commit()
    assert task.result is Result.UNREACHABLE
    assert db.session.get(Visit, task.visit_id).review_state is ReviewState.RECEIVED


# --- pages ---------------------------------------------------------------------------------------------

@pytest.fixture
def site(app):
    with app.app_context():
        c = factories.small_county()
        c.round = factories.RoundFactory(area=c.root)
        worker_c = factories.UserFactory(username="worker_c", grids=[c.grid_a2])
        for i, household in enumerate(c.households_a[:3]):
            record_visits(worker=c.worker_a, items=[visiting.visit(household, c.round.id, minutes=i * 5)])
        record_visits(worker=c.worker_b, items=[visiting.visit(c.households_b[0], c.round.id)])
        db.session.commit()
        return {"round": c.round.id, "worker_a": c.worker_a.id, "worker_c": worker_c.id,
                "official_a": c.official_a.id, "households_a": [h.id for h in c.households_a]}


def english(client, auth, username):
    auth.login(username)
    client.post("/lang/en", data={"next": "/"})


def draw_page(client, site, code="610923100", **extra):
    data = {"round": str(site["round"]), "percent": "100", "minimum": "0", "focused": "0", "seed": "11", **extra}
    return client.post(f"/callbacks/{code}/new", data=data)


def test_an_official_draws_assigns_and_a_checker_records_from_the_pages(app, client, auth, site):
    english(client, auth, "official_a")
    response = draw_page(client, site)
    assert response.status_code == 302
    sample_url = response.headers["Location"]
    page = client.get(sample_url).get_data(as_text=True)
    assert 'id="tasks"' in page and 'id="seed">11<' in page
    sample_id = int(sample_url.rstrip("/").split("/")[-1])
    assert client.post(f"/callbacks/samples/{sample_id}/assign",
                       data={"checkers": str(site["worker_c"]), "which": "unassigned"}).status_code == 302
    auth.logout()

    english(client, auth, "worker_c")
    mine = client.get("/callbacks/mine").get_data(as_text=True)
    with app.app_context():
        task_ids = list(db.session.scalars(sa.select(CallbackTask.id).where(CallbackTask.checker_id == site["worker_c"])
                                           .order_by(CallbackTask.id)))
    assert len(task_ids) == 3 and all(f'data-task="{t}"' in mine for t in task_ids)
    assert "138****5678" in mine and "13812345678" not in mine
    task_page = client.get(f"/callbacks/tasks/{task_ids[0]}").get_data(as_text=True)
    assert "13812345678" not in task_page and 'id="reveal"' in task_page
    response = client.post(f"/callbacks/tasks/{task_ids[0]}", data={
        "at": "2020-01-01T10:00", "method": "phone", "note": "", "result": "not_visited", "result_note": "没人来"})
    assert response.status_code == 302
    with app.app_context():
        task = db.session.get(CallbackTask, task_ids[0])
        assert task.result is Result.NOT_VISITED
        assert db.session.get(Visit, task.visit_id).review_state is ReviewState.HAS_ISSUES
    auth.logout()

    english(client, auth, "official_a")
    assert 'id="callback-alerts"' in client.get(sample_url).get_data(as_text=True)
    assert 'id="callback-alerts"' in client.get("/callbacks/").get_data(as_text=True)


def test_each_showing_of_the_phone_is_audited(app, client, auth, site):
    english(client, auth, "official_a")
    draw_page(client, site)
    with app.app_context():
        task = db.session.scalar(sa.select(CallbackTask).order_by(CallbackTask.id).limit(1))
        task.checker_id = site["worker_c"]
        household_id = task.household_id
        db.session.commit()
        task_id = task.id
    auth.logout()
    english(client, auth, "worker_c")
    for _ in range(2):
        page = client.post(f"/callbacks/tasks/{task_id}/phone")
        assert page.status_code == 200 and 'href="tel:13812345678"' in page.get_data(as_text=True)
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.subject == "household", AuditEntry.subject_id == household_id,
            AuditEntry.action == "view")).all()
        assert len(entries) == 2
        assert all(e.user_id == site["worker_c"] and e.changes["via"][1] == "call-back task" for e in entries)


def test_a_checker_assigned_their_own_visit_is_refused_with_a_message(app, client, auth, site):
    english(client, auth, "official_a")
    draw_page(client, site)
    with app.app_context():
        task = db.session.scalar(sa.select(CallbackTask).where(CallbackTask.worker_id == site["worker_a"]).limit(1))
        task.checker_id = site["worker_a"]
        db.session.commit()
        task_id = task.id
    auth.logout()
    english(client, auth, "worker_a")
    response = client.post(f"/callbacks/tasks/{task_id}", data={
        "at": "2020-01-01T10:00", "method": "phone", "result": "confirmed"})
    assert response.status_code == 400
    assert "You visited this household yourself" in response.get_data(as_text=True)
    assert client.post(f"/callbacks/tasks/{task_id}/phone").status_code == 400
    with app.app_context():
        assert db.session.get(CallbackTask, task_id).result is None
        assert not db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                     .where(AuditEntry.subject == "household", AuditEntry.action == "view"))


def test_access_from_another_township_from_a_worker_and_without_login(app, client, auth, site):
    english(client, auth, "official_a")
    sample_url = draw_page(client, site).headers["Location"]
    with app.app_context():
        task = db.session.scalar(sa.select(CallbackTask).limit(1))
        task.checker_id = site["official_a"]
        db.session.commit()
        task_id = task.id
    auth.logout()

    assert client.get(sample_url).status_code == 302  # to the log-in page
    assert client.get(f"/callbacks/tasks/{task_id}").status_code == 302

    english(client, auth, "official_b")
    assert client.get(sample_url).status_code == 404
    assert draw_page(client, site).status_code == 404                  # township A is not theirs
    assert client.get(f"/callbacks/tasks/{task_id}").status_code == 404  # not their task
    assert client.post(f"/callbacks/tasks/{task_id}", data={
        "at": "2020-01-01T10:00", "method": "phone", "result": "confirmed"}).status_code == 404
    auth.logout()

    english(client, auth, "worker_c")
    assert client.get("/callbacks/610923100/new").status_code == 403
    assert draw_page(client, site).status_code == 403
    assert client.get(sample_url).status_code == 403
    assert client.get("/callbacks/mine").status_code == 200
    auth.logout()

    english(client, auth, "official_a")  # a round of another county is no round of theirs
    with app.app_context():
        other = factories.AreaFactory(code="610924", name="紫阳县")
        foreign = factories.RoundFactory(area=other)
        db.session.commit()
        foreign_id = foreign.id
    assert draw_page(client, site, round=str(foreign_id)).status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CallbackSample)) == 1
