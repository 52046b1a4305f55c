"""Creation criteria (创建标准): the defaults, a county's own thresholds, and each criterion judged
from the records at the edge of its threshold and of its window."""
import calendar
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from campaign.areas.services import recount_households
from campaign.audit.models import AuditEntry
from campaign.core.clock import from_local, local_today
from campaign.core.errors import DomainError
from campaign.core.types import utcnow
from campaign.creation import services
from campaign.creation.criteria import DEFAULTS, criteria_for, evaluate, months_before
from campaign.creation.models import CreationCriteria, TargetKind
from campaign.events import services as events
from campaign.events.models import EventKind
from campaign.extensions import db
from campaign.incidents import services as incidents
from campaign.visits.services import record_visits
from campaign.warnings import services as warnings
from campaign.warnings.models import AttemptKind, Level

from . import factories, visiting

ALL_KEYS = ["three_no", "coverage", "install_rate", "events", "face_rate"]


# --- helpers --------------------------------------------------------------------------------

def new_target(area, kind=TargetKind.COMMUNITY, *, name="", headcount=0, user=None):
    fields = services.check_fields(kind=kind, name=name, area=area, headcount=headcount)
    return services.create_target(area=area, fields=fields, user=user)


def school(c, *, headcount=100, area=None, name="城关小学", kind=TargetKind.SCHOOL):
    return new_target(area or c.town_a, kind, name=name, headcount=headcount)


def incident(village, day, *, kind="case", target=None):
    fields = incidents.check_fields(occurred_on=day, fraud_type="刷单返利", loss="1000", recovered="0",
                                    case_ref="", description="", kind=kind,
                                    target_id=target.id if target else None)
    return incidents.create_incident(village=village, fields=fields)


def event(area, day, *, target=None, installs=0):
    fields = events.check_fields(kind=EventKind.COMMUNITY, held_on=day, target="", attendees=30, materials=0,
                                 organiser="", note="", app_installs=installs,
                                 target_id=target.id if target else None)
    return events.create_event(area=area, fields=fields)


def warning(area, received_at, *, face=False, phone=False, target=None):
    found = warnings.create_warning(area=area, resident="王某某", level=Level.HIGH, received_at=received_at,
                                    target_id=target.id if target else None)
    if phone:
        warnings.log_attempt(found, at=received_at + timedelta(minutes=10), kind=AttemptKind.PHONE, result="")
    if face:
        warnings.log_attempt(found, at=received_at + timedelta(minutes=30), kind=AttemptKind.FACE, result="已见面")
    return found


def check(evaluation, key):
    return next((c for c in evaluation.checks if c.key == key), None)


def window_start(today, months=12):
    """The first day of the window: the same day ``months`` earlier (or that month's last), plus one."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    day = min(today.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day) + timedelta(days=1)


def only(c, kind, **values):
    """County criteria for ``kind`` where only the named thresholds apply."""
    return services.set_criteria(c.root, kind, user=c.admin, **{
        "window_months": 12, "three_no": False, "min_coverage": None, "min_install_rate": None,
        "min_events": None, "min_face_rate": None, **values})


def fresh_village(c, members, code="610923100009"):
    """A village with one grid of households with these member counts, in worker_a's patch."""
    village = factories.AreaFactory(code=code, name="新建村", parent=c.town_a)
    grid = factories.AreaFactory(code=code + "001", name="新建村第1网格", parent=village)
    households = [factories.HouseholdFactory(grid=grid, members=n, lat=33.3 + i / 1000) for i, n in enumerate(members)]
    recount_households()
    c.worker_a.grids = [grid]
    db.session.flush()
    return village, households


def log(c, round_, plans):
    """Visits by worker_a: ``plans`` is a list of (household, outcome, installs)."""
    items = [visiting.visit(h, round_.id, outcome=outcome, installs=installs, minutes=5 * i,
                            people=max(installs, 2) if outcome == "reached" else 0)
             for i, (h, outcome, installs) in enumerate(plans)]
    results = record_visits(worker=c.worker_a, items=items)
    assert all(r.status == "created" for r in results), results
    db.session.flush()


# --- defaults and the county's own criteria ----------------------------------------------------

def test_defaults_follow_the_national_guidance(ctx):
    c = factories.small_county()
    community = criteria_for(c.village_a, TargetKind.COMMUNITY)
    assert (community.window_months, community.three_no, community.min_coverage, community.min_install_rate,
            community.min_events, community.min_face_rate) == (12, True, 95, 90, 4, 100)
    assert criteria_for(c.town_a, TargetKind.SCHOOL).min_install_rate == 100
    assert criteria_for(c.town_a, TargetKind.SCHOOL).min_coverage is None
    for kind in (TargetKind.ENTERPRISE, TargetKind.ORGANISATION):
        unit = criteria_for(c.town_a, kind)
        assert (unit.min_install_rate, unit.min_coverage, unit.min_events, unit.three_no) == (90, None, 4, True)
    assert DEFAULTS[TargetKind.COMMUNITY]["min_coverage"] == 95


def test_a_community_is_judged_on_all_five_criteria_and_a_school_without_coverage(ctx):
    c = factories.small_county()
    community = evaluate(new_target(c.village_a))
    assert [k.key for k in community.checks] == ALL_KEYS
    unit = evaluate(school(c))
    assert [k.key for k in unit.checks] == ["three_no", "install_rate", "events", "face_rate"]


def test_county_criteria_override_the_defaults(ctx):
    c = factories.small_county()
    target = new_target(c.village_a)
    services.set_criteria(c.root, TargetKind.COMMUNITY, user=c.admin, window_months=6, three_no=True,
                          min_coverage=80, min_install_rate=None, min_events=2, min_face_rate=None)
    criteria = criteria_for(c.village_a, TargetKind.COMMUNITY)
    assert (criteria.window_months, criteria.min_coverage, criteria.min_events) == (6, 80, 2)
    today = local_today()
    event(c.village_a, today)
    event(c.village_a, today)
    evaluation = evaluate(target, today=today)
    assert [k.key for k in evaluation.checks] == ["three_no", "coverage", "events"]
    assert check(evaluation, "events").met and check(evaluation, "events").threshold == 2
    assert evaluation.start == window_start(today, 6)
    # Schools keep the defaults: the county set criteria for communities only.
    assert criteria_for(c.town_a, TargetKind.SCHOOL).min_install_rate == 100
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.subject == "creation_criteria"))
    assert entry.user_id == c.admin.id and entry.changes["min_events"] == [4, 2]


def test_criteria_of_another_county_do_not_apply(ctx):
    c = factories.small_county()
    other = factories.AreaFactory(code="610924", name="石泉县")
    services.set_criteria(other, TargetKind.COMMUNITY, window_months=3, three_no=False, min_coverage=10,
                          min_install_rate=None, min_events=None, min_face_rate=None)
    assert criteria_for(c.village_a, TargetKind.COMMUNITY).min_coverage == 95
    assert [k.key for k in evaluate(new_target(c.village_a)).checks] == ALL_KEYS


@pytest.mark.parametrize("dropped, key", [
    ({"three_no": False}, "three_no"), ({"min_coverage": None}, "coverage"),
    ({"min_install_rate": None}, "install_rate"), ({"min_events": None}, "events"),
    ({"min_face_rate": None}, "face_rate"),
])
def test_a_criterion_left_empty_is_not_listed(ctx, dropped, key):
    c = factories.small_county()
    services.set_criteria(c.root, TargetKind.COMMUNITY, **{**DEFAULTS[TargetKind.COMMUNITY], **dropped})
    keys = [k.key for k in evaluate(new_target(c.village_a)).checks]
    assert key not in keys and len(keys) == 4


def test_a_county_that_applies_no_criterion_has_every_target_met(ctx):
    c = factories.small_county()
    only(c, TargetKind.COMMUNITY)
    evaluation = evaluate(new_target(c.village_a))
    assert evaluation.checks == [] and evaluation.all_met and evaluation.unmet == []


@pytest.mark.parametrize("values, field", [
    ({"window_months": 0}, "window_months"), ({"window_months": 37}, "window_months"),
    ({"min_coverage": 101}, "min_coverage"), ({"min_install_rate": -1}, "min_install_rate"),
    ({"min_face_rate": 150}, "min_face_rate"), ({"min_events": 1001}, "min_events"),
])
def test_impossible_criteria_are_refused(ctx, values, field):
    c = factories.small_county()
    with pytest.raises(DomainError) as caught:
        services.set_criteria(c.root, TargetKind.SCHOOL, **{**DEFAULTS[TargetKind.SCHOOL], **values})
    assert caught.value.field == field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CreationCriteria)) == 0


# --- the window -------------------------------------------------------------------------------

@pytest.mark.parametrize("today, months, start", [
    (date(2026, 3, 15), 12, date(2025, 3, 16)),
    (date(2026, 1, 1), 12, date(2025, 1, 2)),
    (date(2026, 3, 15), 6, date(2025, 9, 16)),
    (date(2026, 3, 31), 1, date(2026, 3, 1)),   # 31 February does not exist: the window starts 1 March
    (date(2024, 2, 29), 12, date(2023, 3, 1)),
])
def test_the_window_is_the_months_ending_on_the_day(ctx, today, months, start):
    c = factories.small_county()
    only(c, TargetKind.COMMUNITY, window_months=months)
    evaluation = evaluate(new_target(c.village_a), today=today)
    assert (evaluation.start, evaluation.end) == (start, today)


def test_months_before_keeps_the_day_or_takes_the_months_last():
    assert months_before(date(2026, 3, 15), 12) == date(2025, 3, 15)
    assert months_before(date(2026, 5, 31), 3) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 10), 1) == date(2025, 12, 10)


# --- 三无 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["case", "den", "person"])
def test_a_case_a_den_or_an_involved_person_alone_breaks_three_no(ctx, kind):
    c = factories.small_county()
    target = new_target(c.village_a)
    assert check(evaluate(target), "three_no").met
    incident(c.village_a, local_today() - timedelta(days=3), kind=kind)
    three_no = check(evaluate(target), "three_no")
    assert not three_no.met and three_no.numerator == 1
    assert three_no.parts == {"case": 0, "den": 0, "person": 0, kind: 1}


def test_incidents_in_another_village_leave_three_no_met(ctx):
    c = factories.small_county()
    target = new_target(c.village_a)
    incident(c.village_b, local_today(), kind="den")
    assert check(evaluate(target), "three_no").met


def test_three_no_window_starts_on_its_first_day(ctx):
    c = factories.small_county()
    target = new_target(c.village_a)
    today = local_today()
    start = window_start(today)
    incident(c.village_a, start - timedelta(days=1))
    assert check(evaluate(target, today=today), "three_no").met
    incident(c.village_a, start)
    assert check(evaluate(target, today=today), "three_no").numerator == 1


def test_incidents_after_the_day_judged_do_not_count(ctx):
    c = factories.small_county()
    target = new_target(c.village_a)
    today = local_today()
    incident(c.village_a, today)
    assert check(evaluate(target, today=today - timedelta(days=1)), "three_no").met
    assert not check(evaluate(target, today=today), "three_no").met


def test_a_schools_three_no_counts_only_incidents_tied_to_it(ctx):
    c = factories.small_county()
    target = school(c)
    incident(c.village_a, local_today())  # in its township, but not the school's
    assert check(evaluate(target), "three_no").met
    incident(c.village_a, local_today(), kind="person", target=target)
    three_no = check(evaluate(target), "three_no")
    assert not three_no.met and three_no.parts["person"] == 1


def test_a_communitys_three_no_also_counts_incidents_tied_to_it_elsewhere(ctx):
    c = factories.small_county()
    target = new_target(c.village_a)
    incident(c.village_b, local_today(), target=target)
    assert not check(evaluate(target), "three_no").met


# --- coverage -----------------------------------------------------------------------------------

@pytest.mark.parametrize("reached, vacant, met", [
    (19, 0, True),    # 19 / 20 = 95 % exactly
    (18, 1, False),   # 18 / 19 = 94.7 %
    (18, 0, False),   # 18 / 20 = 90 %
    (18, 2, True),    # 18 / 18: vacant homes are out of scope
])
def test_coverage_of_the_latest_round_at_its_threshold(ctx, reached, vacant, met):
    c = factories.small_county()
    village, households = fresh_village(c, [2] * 20)
    round_ = factories.RoundFactory(area=c.root)
    outcomes = ["reached"] * reached + ["vacant"] * vacant
    outcomes += ["not_home"] * (20 - len(outcomes))
    log(c, round_, [(h, o, 0) for h, o in zip(households, outcomes, strict=True)])
    coverage = check(evaluate(new_target(village)), "coverage")
    assert (coverage.numerator, coverage.denominator, coverage.met) == (reached, 20 - vacant, met)
    assert coverage.note == round_.name


def test_coverage_without_a_round_is_not_met(ctx):
    c = factories.small_county()
    coverage = check(evaluate(new_target(c.village_a)), "coverage")
    assert not coverage.met and coverage.denominator is None


def test_coverage_is_read_from_the_latest_round_that_has_started(ctx):
    c = factories.small_county()
    village, households = fresh_village(c, [2, 2])
    today = local_today()
    running = factories.RoundFactory(area=c.root, starts_on=today - timedelta(days=40), ends_on=today + timedelta(1))
    factories.RoundFactory(area=c.root, starts_on=today + timedelta(days=5), ends_on=today + timedelta(days=30))
    log(c, running, [(households[0], "reached", 2), (households[1], "reached", 2)])
    target = new_target(village)
    evaluation = evaluate(target, today=today)
    assert check(evaluation, "coverage").met and check(evaluation, "coverage").note == running.name
    assert check(evaluation, "install_rate").numerator == 4  # the round starting later is not read
    newer = factories.RoundFactory(area=c.root, name="第二轮", starts_on=today, ends_on=today + timedelta(days=3))
    evaluation = evaluate(target, today=today)
    assert check(evaluation, "coverage").note == newer.name and check(evaluation, "coverage").numerator == 0
    assert check(evaluation, "install_rate").numerator == 0  # installs of the older round no longer count


# --- install rate -------------------------------------------------------------------------------

@pytest.mark.parametrize("members, installs, met", [
    ((10, 10), (9, 9), True),    # 18 / 20 = 90 %
    ((10, 9), (9, 8), False),    # 17 / 19 = 89.5 %
])
def test_community_install_rate_against_residents(ctx, members, installs, met):
    c = factories.small_county()
    village, households = fresh_village(c, list(members))
    round_ = factories.RoundFactory(area=c.root)
    log(c, round_, [(h, "reached", n) for h, n in zip(households, installs, strict=True)])
    rate = check(evaluate(new_target(village)), "install_rate")
    assert (rate.numerator, rate.denominator, rate.met) == (sum(installs), sum(members), met)


def test_a_revisit_does_not_count_installs_twice(ctx):
    c = factories.small_county()
    village, households = fresh_village(c, [20])
    round_ = factories.RoundFactory(area=c.root)
    log(c, round_, [(households[0], "reached", 9), (households[0], "reached", 9), (households[0], "reached", 4)])
    assert check(evaluate(new_target(village)), "install_rate").numerator == 9


def test_residents_of_unvisited_households_count_against_the_rate(ctx):
    c = factories.small_county()
    round_ = factories.RoundFactory(area=c.root)
    c.worker_a.grids = [c.grid_a1, c.grid_a2]
    log(c, round_, [(h, "reached", 3) for h in c.households_a[:3]])
    rate = check(evaluate(new_target(c.village_a)), "install_rate")
    assert (rate.numerator, rate.denominator, rate.met) == (9, 12, False)  # four households of three


@pytest.mark.parametrize("kind, headcount, installs, met", [
    (TargetKind.SCHOOL, 100, (60, 40), True),
    (TargetKind.SCHOOL, 100, (60, 39), False),          # a school needs every one
    (TargetKind.ENTERPRISE, 1000, (500, 400), True),    # 90 % exactly
    (TargetKind.ENTERPRISE, 1000, (500, 399), False),   # 89.9 %
    (TargetKind.ORGANISATION, 10, (9,), True),
    (TargetKind.ORGANISATION, 10, (8,), False),
])
def test_unit_install_rate_from_its_events_against_its_headcount(ctx, kind, headcount, installs, met):
    c = factories.small_county()
    target = school(c, kind=kind, headcount=headcount)
    for n in installs:
        event(c.village_a, local_today(), target=target, installs=n)
    rate = check(evaluate(target), "install_rate")
    assert (rate.numerator, rate.denominator, rate.met) == (sum(installs), headcount, met)


def test_unit_installs_count_only_its_own_events_in_the_window_and_are_capped(ctx):
    c = factories.small_county()
    target = school(c, headcount=100)
    today = local_today()
    start = window_start(today)
    event(c.town_a, today, installs=100)                                  # not tied to the school
    event(c.town_a, start - timedelta(days=1), target=target, installs=100)  # the day before the window
    assert check(evaluate(target, today=today), "install_rate").numerator == 0
    event(c.town_a, start, target=target, installs=70)
    event(c.town_a, today, target=target, installs=70)
    rate = check(evaluate(target, today=today), "install_rate")
    assert (rate.numerator, rate.denominator, rate.met) == (100, 100, True)


# --- publicity events ---------------------------------------------------------------------------

@pytest.mark.parametrize("held, met", [(4, True), (3, False)])
def test_four_events_are_needed(ctx, held, met):
    c = factories.small_county()
    target = new_target(c.village_a)
    for n in range(held):
        event(c.grid_a1 if n % 2 else c.village_a, local_today() - timedelta(days=n))
    events_check = check(evaluate(target), "events")
    assert (events_check.numerator, events_check.met) == (held, met)


def test_an_event_on_the_first_day_of_the_window_counts_and_the_day_before_does_not(ctx):
    c = factories.small_county()
    target = new_target(c.village_a)
    today = local_today()
    start = window_start(today)
    for _ in range(3):
        event(c.village_a, today)
    event(c.village_a, start - timedelta(days=1))
    assert check(evaluate(target, today=today), "events").numerator == 3
    event(c.village_a, start)
    assert check(evaluate(target, today=today), "events").met


def test_events_elsewhere_do_not_count_for_a_community_but_events_tied_to_it_do(ctx):
    c = factories.small_county()
    target = new_target(c.village_a)
    for _ in range(4):
        event(c.village_b, local_today())
    event(c.town_a, local_today())  # the township, not the village
    assert check(evaluate(target), "events").numerator == 0
    event(c.town_a, local_today(), target=target)
    assert check(evaluate(target), "events").numerator == 1


def test_a_units_events_are_those_held_for_it(ctx):
    c = factories.small_county()
    target = school(c, area=c.village_a)
    for _ in range(3):
        event(c.village_a, local_today())
    for _ in range(4):
        event(c.village_b, local_today(), target=target)
    assert check(evaluate(target), "events").numerator == 4


# --- warnings met face to face ---------------------------------------------------------------

def test_no_warning_means_face_rate_is_met(ctx):
    c = factories.small_county()
    face = check(evaluate(new_target(c.village_a)), "face_rate")
    assert face.met and face.denominator == 0


def test_one_warning_without_face_contact_breaks_the_face_rate(ctx):
    c = factories.small_county()
    target = new_target(c.village_a)
    moment = utcnow() - timedelta(days=2)
    for n in range(3):
        warning(c.grid_a1 if n else c.village_a, moment, face=True)
    assert check(evaluate(target), "face_rate").met
    warning(c.grid_a2, moment, phone=True)  # reached by phone only
    face = check(evaluate(target), "face_rate")
    assert (face.numerator, face.denominator, face.met) == (3, 4, False)


def test_a_lower_face_rate_set_by_the_county_is_met_at_its_edge(ctx):
    c = factories.small_county()
    only(c, TargetKind.COMMUNITY, min_face_rate=75)
    target = new_target(c.village_a)
    moment = utcnow() - timedelta(days=2)
    for n in range(4):
        warning(c.village_a, moment, face=n < 3)
    assert check(evaluate(target), "face_rate").met  # 3 / 4 = 75 %
    warning(c.village_a, moment)
    assert not check(evaluate(target), "face_rate").met  # 3 / 5


def test_warnings_count_from_midnight_of_the_windows_first_day(ctx):
    c = factories.small_county()
    target = new_target(c.village_a)
    today = local_today()
    midnight = from_local(datetime.combine(window_start(today), time.min))
    warning(c.village_a, midnight - timedelta(minutes=1))
    warning(c.village_b, midnight)  # another village
    assert check(evaluate(target, today=today), "face_rate").denominator == 0
    warning(c.village_a, midnight)
    assert check(evaluate(target, today=today), "face_rate").denominator == 1


def test_a_units_warnings_are_those_tied_to_it(ctx):
    c = factories.small_county()
    target = school(c)
    moment = utcnow() - timedelta(days=1)
    warning(c.village_a, moment)
    assert check(evaluate(target), "face_rate").met
    warning(c.village_a, moment, target=target)
    assert not check(evaluate(target), "face_rate").met


# --- all together -------------------------------------------------------------------------------

def test_a_community_meeting_every_default_criterion(ctx):
    c = factories.small_county()
    round_ = factories.RoundFactory(area=c.root)
    c.worker_a.grids = [c.grid_a1, c.grid_a2]
    log(c, round_, [(h, "reached", 3) for h in c.households_a])
    for _ in range(4):
        event(c.village_a, local_today())
    warning(c.village_a, utcnow() - timedelta(hours=3), face=True)
    evaluation = evaluate(new_target(c.village_a))
    assert evaluation.all_met and evaluation.unmet == [], [(k.key, k.numerator, k.denominator) for k in
                                                          evaluation.checks]
    incident(c.village_a, local_today(), kind="den")
    assert [k.key for k in evaluate(evaluation.target).unmet] == ["three_no"]


# --- the pages ----------------------------------------------------------------------------------

def test_target_page_marks_each_criterion_met_or_not(app, client, auth, county):
    with app.app_context():
        village = db.session.get(factories.Area, county.village_a.id)
        target_id = new_target(village).id
        incident(village, local_today(), kind="den")
        db.session.commit()
    auth.login("official_a")
    page = client.get(f"/creation/{target_id}").get_data(as_text=True)
    assert 'data-criterion="three_no" data-met="no"' in page
    assert 'data-criterion="face_rate" data-met="yes"' in page
    assert 'data-criterion="coverage" data-met="no"' in page
    assert page.count("data-criterion=") == 5


def criteria_form(kind, **values):
    """The whole criteria page as the browser sends it (every kind and the issuer), ``kind`` changed by ``values``."""
    data = {"issuer": "宁陕县打击治理电信网络新型违法犯罪工作领导小组办公室"}
    for each in TargetKind:
        data |= {f"{each.value}-{name}": "" if value is None else ("y" if value is True else str(value))
                 for name, value in DEFAULTS[each].items() if value is not False}
        if not each.tied_to_area:
            data.pop(f"{each.value}-min_coverage")
    data |= {f"{kind}-window_months": "12", f"{kind}-three_no": "y", f"{kind}-min_install_rate": "80",
             f"{kind}-min_events": "2", f"{kind}-min_face_rate": "100"}
    data.update({f"{kind}-{k}": v for k, v in values.items()})
    return {k: v for k, v in data.items() if v is not None}


def test_the_county_office_sets_criteria_per_kind(app, client, auth, county):
    auth.login("admin")
    assert client.get("/creation/criteria").status_code == 200
    response = client.post("/creation/criteria", data=criteria_form("school", min_events=""))
    assert response.status_code == 302
    with app.app_context():
        root = db.session.get(factories.Area, county.root.id)
        school_criteria = criteria_for(root, TargetKind.SCHOOL)
        assert (school_criteria.min_install_rate, school_criteria.min_events, school_criteria.three_no) == (80, None,
                                                                                                       True)
        assert criteria_for(root, TargetKind.ENTERPRISE).min_install_rate == 90
    page = client.get("/creation/criteria").get_data(as_text=True)
    assert 'name="school-min_install_rate"' in page and 'value="80"' in page


def test_unticking_three_no_drops_it(app, client, auth, county):
    auth.login("admin")
    client.post("/creation/criteria", data=criteria_form("enterprise", three_no=None))
    with app.app_context():
        root = db.session.get(factories.Area, county.root.id)
        assert criteria_for(root, TargetKind.ENTERPRISE).three_no is False


@pytest.mark.parametrize("values", [{"min_install_rate": "150"}, {"window_months": "0"}, {"min_events": "many"},
                                    {"window_months": ""}])
def test_bad_criteria_in_the_form_are_refused_and_nothing_is_saved(app, client, auth, county, values):
    auth.login("admin")
    response = client.post("/creation/criteria", data=criteria_form("community", **values))
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CreationCriteria)) == 0


def test_the_county_sets_the_issuer_on_the_criteria_page(app, client, auth, county):
    auth.login("admin")
    saved = client.post("/creation/criteria", data=criteria_form("school") | {"issuer": "宁陕县反诈中心"})
    assert saved.status_code == 302
    assert "宁陕县反诈中心" in client.get("/creation/criteria").get_data(as_text=True)
    assert client.post("/creation/criteria", data=criteria_form("school") | {"issuer": ""}).status_code == 400


def test_only_the_county_office_sets_criteria(client, auth, county):
    auth.login("official_a")
    assert client.get("/creation/criteria").status_code == 403
    assert client.post("/creation/criteria", data=criteria_form("school")).status_code == 403
