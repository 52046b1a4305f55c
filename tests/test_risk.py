"""The risk list (/risk/<area>): a worker whose visits look made up stands first, with the signals
that explain it; the medians are the area's; a worker with too few visits is listed apart; and the
page keeps to the user's area. The page is read in English."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from campaign.accounts.models import Role
from campaign.core.clock import zone
from campaign.extensions import db
from campaign.risk import services
from campaign.risk.signals import SIGNALS
from campaign.risk.weights import MIN_VISITS, WEIGHTS
from campaign.visits.models import GeoCheck, Outcome, Visit
from campaign.visits.rebuild import rebuild_round

from . import factories

DAY = datetime.now(zone()).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)


def _visit(worker, household, round_id, at: datetime, *, geo=GeoCheck.GREEN, people=2, installs=0, note="",
           outcome=Outcome.REACHED, too_fast=False) -> Visit:
    return Visit(uuid=str(uuid.uuid4()), round_id=round_id, household_id=household.id, worker_id=worker.id,
                 outcome=outcome, people_briefed=people, app_installs=installs, note=note, visited_at=at,
                 geo=geo, too_fast=too_fast, content_hash="test")


def _honest(worker, households, round_id, n: int, seed: int) -> list[Visit]:
    """Daytime visits ten minutes or more apart, with answers that vary, one in ten far from the door."""
    visits = []
    for i in range(n):
        at = DAY + timedelta(hours=9, minutes=12 * i + seed)
        visits.append(_visit(worker, households[i % len(households)], round_id, at,
                             geo=GeoCheck.RED if (i + seed) % 10 == 0 else GeoCheck.GREEN,
                             people=1 + (i + seed) % 4, installs=(i * seed) % 2,
                             note="老人独居" if i % 3 == 0 else ""))
    return visits


@pytest.fixture
def risky(app):
    """Township A with four honest workers, one who made up 20 visits in ten minutes at night with the
    same answers and no fix, and one with 2 visits, both at night and far from the door."""
    with app.app_context():
        c = factories.small_county()
        round_ = factories.RoundFactory(area=c.root)
        households = c.households_a
        honest = [factories.UserFactory(username=f"honest{i}", role=Role.WORKER, grids=[c.grid_a1])
                  for i in range(4)]
        faker = factories.UserFactory(username="faker", display_name="造假者", role=Role.WORKER, grids=[c.grid_a2])
        newcomer = factories.UserFactory(username="newcomer", role=Role.WORKER, grids=[c.grid_a2])
        visits = [v for i, w in enumerate(honest) for v in _honest(w, households, round_.id, 20, i + 1)]
        night = DAY + timedelta(hours=2)
        visits += [_visit(faker, households[i % 4], round_.id, night + timedelta(seconds=30 * i), geo=GeoCheck.GREY,
                          people=3, installs=1, note="已宣传") for i in range(20)]
        visits += [_visit(newcomer, households[i], round_.id, night + timedelta(hours=i), geo=GeoCheck.RED)
                   for i in range(2)]
        # township B's worker: never on township A's list, and not part of its medians
        visits += [_visit(c.worker_b, c.households_b[i % 2], round_.id, night + timedelta(seconds=10 * i),
                          geo=GeoCheck.RED) for i in range(20)]
        db.session.add_all(visits)
        db.session.flush()
        rebuild_round(round_.id)  # visits added bare: their tallies come from the rebuild
        db.session.commit()
        return SimpleNamespace(round=round_.id, faker=faker.id, newcomer=newcomer.id, worker_b=c.worker_b.id,
                               honest=[w.id for w in honest], town_a=c.town_a.code)


def _risks(app, risky):
    with app.app_context():
        from campaign.areas.models import Area
        area = db.session.scalar(sa.select(Area).where(Area.code == risky.town_a))
        return services.worker_risks(risky.round, area)


def test_every_signal_has_one_weight():
    assert [s.key for s in SIGNALS] == list(WEIGHTS)
    assert "callback_failures" in WEIGHTS


def test_made_up_visits_stand_first_with_the_signals_that_explain_them(app, risky):
    risks = _risks(app, risky)
    first = risks.ranked[0]
    assert first.worker_id == risky.faker
    assert first.values["outside_hours"] == 1.0
    assert first.values["no_fix"] == 1.0
    assert first.values["same_answers"] == 1.0
    assert first.values["short_gaps"] == 1.0
    assert set(first.reasons[:4]) == {"outside_hours", "no_fix", "same_answers", "short_gaps"}
    assert "far" not in first.reasons  # no fix at all is not "far from the door"
    assert first.score > 2 * max(w.score for w in risks.ranked[1:])


def test_medians_are_the_ranked_workers_of_the_area(app, risky):
    risks = _risks(app, risky)
    assert {w.worker_id for w in risks.ranked} == {risky.faker, *risky.honest}
    # far: 2 of 20 for each honest worker, 0 for the faker → median of (0.1, 0.1, 0.1, 0.1, 0)
    assert risks.medians["far"] == pytest.approx(0.1)
    assert risks.medians["outside_hours"] == 0.0
    assert risks.medians["short_gaps"] == 0.0
    assert risks.medians["callback_failures"] == 0.0
    honest = next(w for w in risks.ranked if w.worker_id == risky.honest[0])
    assert honest.points.get("far", 0) == 0  # at the median adds nothing


def test_a_worker_with_two_visits_is_listed_apart_not_ranked(app, risky):
    risks = _risks(app, risky)
    assert risky.newcomer not in {w.worker_id for w in risks.ranked}
    newcomer = next(w for w in risks.too_few if w.worker_id == risky.newcomer)
    assert newcomer.visits == 2 < MIN_VISITS and newcomer.score is None
    assert newcomer.values["far"] == 1.0  # shown, but not scored


def test_call_back_failures_read_zero_without_call_backs(app, risky):
    risks = _risks(app, risky)
    assert all(w.values["callback_failures"] == 0.0 for w in risks.ranked)
    assert all(w.points["callback_failures"] == 0 for w in risks.ranked)


def _call_back(app, risky, worker_id: int, results: list) -> None:
    """A call-back sample of township A with one answered task per household of the worker's visits."""
    from campaign.areas.models import Area
    from campaign.callbacks.models import CallbackSample, CallbackTask, Reason, TaskStatus
    with app.app_context():
        town = db.session.scalar(sa.select(Area).where(Area.code == risky.town_a))
        sample = CallbackSample(round_id=risky.round, area_id=town.id, seed=1, random_percent=5.0,
                                min_per_village=1, focused_count=0)
        db.session.add(sample)
        seen: dict[int, Visit] = {}
        for visit in db.session.scalars(sa.select(Visit).where(Visit.round_id == risky.round,
                                                               Visit.worker_id == worker_id).order_by(Visit.id)):
            seen.setdefault(visit.household_id, visit)
        visits = list(seen.values())
        assert len(visits) >= len(results)
        for visit, result in zip(visits, results, strict=False):
            db.session.add(CallbackTask(sample=sample, household_id=visit.household_id, visit_id=visit.id,
                                        village_id=visit.household.grid.parent_id, worker_id=worker_id,
                                        reason=Reason.RANDOM, status=TaskStatus.DONE if result else TaskStatus.OPEN,
                                        result=result))
        db.session.commit()


def test_a_worker_whose_call_backs_fail_ranks_higher(app, risky):
    from campaign.callbacks.models import Result
    before = _risks(app, risky)
    target = risky.honest[3]
    _call_back(app, risky, target, [Result.NOT_VISITED, Result.DETAILS_DIFFER, Result.CONFIRMED, Result.CONFIRMED])
    _call_back(app, risky, target, [Result.UNREACHABLE, None])
    _call_back(app, risky, risky.honest[0], [Result.CONFIRMED, Result.CONFIRMED])
    risks = _risks(app, risky)
    worker = next(w for w in risks.ranked if w.worker_id == target)
    # unreachable and unanswered tasks say nothing: 2 failed of 4 answered
    assert worker.values["callback_failures"] == pytest.approx(0.5)
    assert worker.points["callback_failures"] == pytest.approx(WEIGHTS["callback_failures"] * 50)
    assert "callback_failures" in worker.reasons
    assert risks.medians["callback_failures"] == 0.0
    honest = [w.worker_id for w in risks.ranked if w.worker_id in risky.honest]
    assert honest[0] == target
    assert [w.worker_id for w in before.ranked if w.worker_id in risky.honest][0] != target
    checked = next(w for w in risks.ranked if w.worker_id == risky.honest[0])
    assert checked.values["callback_failures"] == 0.0
    # township B's list knows nothing of township A's call-backs
    with app.app_context():
        from campaign.areas.models import Area
        county = db.session.scalar(sa.select(Area).where(Area.code == "610923"))
        assert next(w for w in services.worker_risks(risky.round, county).ranked
                    if w.worker_id == target).values["callback_failures"] == pytest.approx(0.5)
        assert services.callback_failures(risky.round, db.session.scalar(
            sa.select(Area).where(Area.code == "610923101"))) == {}


def test_the_page_shows_call_back_failures_and_their_median(client, auth, app, risky):
    from campaign.callbacks.models import Result
    _call_back(app, risky, risky.honest[3], [Result.NOT_VISITED, Result.CONFIRMED])
    auth.login("official_a")
    client.post("/lang/en")
    page = client.get(f"/risk/{risky.town_a}?round={risky.round}").get_data(as_text=True)
    assert "no call-backs yet" not in page
    assert "50.0%" in page.split(f'data-worker="{risky.honest[3]}"', 1)[1].split("</tr>", 1)[0]


def test_the_page_lists_the_faker_first_and_says_it_is_no_verdict(client, auth, risky):
    auth.login("official_a")
    client.post("/lang/en")
    response = client.get(f"/risk/{risky.town_a}?round={risky.round}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.index(f'data-worker="{risky.faker}"') < min(page.index(f'data-worker="{w}"') for w in risky.honest)
    assert f"worker={risky.faker}" in page and "/visits/table" in page
    assert "A review queue, not a punishment." in page
    assert page.count("data-median=") == len(SIGNALS)
    assert f'data-worker="{risky.worker_b}"' not in page
    too_few = page.split("data-too-few", 1)[1]
    assert f'data-worker="{risky.newcomer}"' in too_few


def test_the_link_opens_the_workers_visits(client, auth, risky):
    auth.login("official_a")
    response = client.get(f"/visits/table?area={risky.town_a}&round={risky.round}&worker={risky.faker}")
    assert response.status_code == 200


def test_another_township_a_worker_and_no_log_in_are_kept_out(client, auth, risky):
    url = f"/risk/{risky.town_a}?round={risky.round}"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    auth.login("official_b")
    assert client.get(url).status_code == 404
    auth.logout()
    auth.login("worker_a")
    assert client.get(url).status_code == 403
    auth.logout()
    auth.login("admin")
    assert client.get(f"/risk/610923?round={risky.round}").status_code == 200


def test_the_coverage_page_links_to_the_risk_list_for_officials_only(client, auth, risky):
    auth.login("official_a")
    page = client.get(f"/coverage/{risky.town_a}?round={risky.round}").get_data(as_text=True)
    assert f"/risk/{risky.town_a}?round={risky.round}" in page
    auth.logout()
    auth.login("worker_a")
    page = client.get("/coverage/610923100001001").get_data(as_text=True)
    assert "/risk/" not in page


def test_the_county_reads_every_visit_of_its_round(app, risky):
    """The county holds the round's whole area: its list is read without the households, and has
    township B's worker too, with the same signals as from the township's list."""
    with app.app_context():
        from campaign.areas.models import Area
        county = db.session.scalar(sa.select(Area).where(Area.code == "610923"))
        assert services._covers_round(risky.round, county)
        risks = services.worker_risks(risky.round, county)
    assert {risky.faker, risky.worker_b} <= {w.worker_id for w in risks.ranked}
    faker = next(w for w in risks.ranked if w.worker_id == risky.faker)
    assert faker.values == next(w for w in _risks(app, risky).ranked if w.worker_id == risky.faker).values


def test_a_long_list_shows_its_head_and_offers_the_rest(client, auth, risky, monkeypatch):
    from campaign.risk import views
    monkeypatch.setattr(views, "SHOWN", 2)
    auth.login("official_a")
    page = client.get(f"/risk/{risky.town_a}?round={risky.round}").get_data(as_text=True)
    assert page.count("data-score") == 2 and "data-cut" in page
    page = client.get(f"/risk/{risky.town_a}?round={risky.round}&all=1").get_data(as_text=True)
    assert page.count("data-score") == 5 and "data-cut" not in page
