"""The home page as a dashboard: each role's figures, each a link to the records behind it, inside the
user's own area; the round's coverage day by day against the last round; a grid worker's simple home."""
import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from campaign.areas.services import recount_households
from campaign.core.clock import local_today, zone
from campaign.core.types import utcnow
from campaign.coverage.services import area_figures
from campaign.creation.models import CreationTarget, TargetKind, TargetStatus
from campaign.extensions import db
from campaign.incidents.models import FraudType, Incident, IncidentKind
from campaign.incidents.zero import year_earlier
from campaign.main import charts, dashboard, trend
from campaign.rounds.models import Round
from campaign.visits.services import record_visits
from campaign.warnings import services as warnings
from campaign.warnings.models import Level

from . import factories, visiting
from .browser import log_in

TODAY = local_today()


def at(day, hour=10, minute=0):
    """A local time on ``day`` as the phone sends it."""
    return datetime.combine(day, time(hour, minute), tzinfo=zone()).astimezone(UTC).isoformat()


@pytest.fixture(autouse=True)
def _fresh_trends():
    """Series kept by one test's process must not answer for another test's rows (ids start again)."""
    trend.forget()
    yield
    trend.wait_counting()
    trend.forget()


@pytest.fixture
def board_county(app):
    """Township A (城关镇): a last round and the current one with visits on known days, warnings open,
    overdue and met, cases this year and last, targets in several states; township B (四亩地镇) has its own,
    which township A must never see."""
    with app.app_context():
        c = factories.small_county()
        last = factories.RoundFactory(area=c.root, name="去年秋季敲门行动", starts_on=TODAY - timedelta(days=60),
                                      ends_on=TODAY - timedelta(days=31))
        current = factories.RoundFactory(area=c.root, name="冬季敲门行动", starts_on=TODAY - timedelta(days=9),
                                         ends_on=TODAY + timedelta(days=20))
        c.worker_a.grids = [c.grid_a1, c.grid_a2]
        h0, h1, h2, h3 = c.households_a
        day = current.starts_on
        items = [
            visiting.visit(h0, current.id, visited_at=at(day)),  # day 1
            visiting.visit(h1, current.id, outcome="not_home", visited_at=at(day + timedelta(days=1))),
            # 00:30 on day 3 in the county is still day 2 in UTC: counted on day 3
            visiting.visit(h1, current.id, visited_at=at(day + timedelta(days=2), 0, 30), gps=None),
            visiting.visit(h2, current.id, visited_at=at(day + timedelta(days=4))),  # day 5 ...
            visiting.visit(h2, current.id, visited_at=at(day + timedelta(days=6))),  # ... and again: counted once
            visiting.visit(h3, current.id, visited_at=visiting.BASE.isoformat()),  # today (or late yesterday)
        ]
        items += [visiting.visit(h, last.id, visited_at=at(last.starts_on + timedelta(days=n)))
                  for n, h in enumerate([h0, h1])]
        record_visits(worker=c.worker_a, items=items)
        record_visits(worker=c.worker_b, items=[visiting.visit(c.households_b[0], current.id, visited_at=at(day))])

        official_a, official_b = c.official_a, c.official_b
        overdue = warnings.create_warning(area=c.village_a, resident="王逾期", level=Level.HIGH,
                                          received_at=utcnow() - timedelta(hours=5), user=official_a)
        overdue.assigned_to = c.worker_a
        warnings.create_warning(area=c.village_a, resident="赵还早", level=Level.LOW,
                                received_at=utcnow() - timedelta(hours=1), user=official_a)
        met = warnings.create_warning(area=c.village_a, resident="钱已见", level=Level.MEDIUM,
                                      received_at=utcnow() - timedelta(hours=2), user=official_a)
        met.first_face_at = utcnow() - timedelta(hours=1)
        closed = warnings.create_warning(area=c.village_a, resident="孙已结", level=Level.LOW,
                                         received_at=utcnow() - timedelta(hours=2), user=official_a)
        closed.closed_at = utcnow()
        warnings.create_warning(area=c.village_b, resident="李四亩", level=Level.HIGH,
                                received_at=utcnow() - timedelta(hours=5), user=official_b)

        def incident(village, day, kind=IncidentKind.CASE, ref=""):
            db.session.add(Incident(village=village, occurred_on=day, kind=kind, fraud_type=FraudType.LOAN,
                                    loss=Decimal(1000), case_ref=ref))

        incident(c.village_a, TODAY, ref="今年A1")
        incident(c.village_a, TODAY, kind=IncidentKind.DEN, ref="窝点A")
        incident(c.village_a, year_earlier(TODAY), ref="去年A1")
        incident(c.village_a, year_earlier(TODAY), ref="去年A2")
        incident(c.village_b, TODAY, ref="今年B1")

        def target(area, name, kind, status, review=""):
            db.session.add(CreationTarget(area=area, name=name, kind=kind, status=status, review_reason=review,
                                          review_flagged_at=utcnow() if review else None))

        target(c.village_a, "城南社区创建", TargetKind.COMMUNITY, TargetStatus.CERTIFIED, review="发生案件")
        target(c.village_a, "城关小学", TargetKind.SCHOOL, TargetStatus.IN_PROGRESS)
        target(c.village_a, "城关中学", TargetKind.SCHOOL, TargetStatus.APPLIED)
        target(c.village_b, "四亩地小学", TargetKind.SCHOOL, TargetStatus.CERTIFIED, review="四亩地复核")
        recount_households()
        db.session.commit()
        return {"current": current.id, "last": last.id, "overdue": overdue.id}


def page_of(client, url="/"):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def link(page, element_id):
    """The address of the link with this id (or inside the element with this id)."""
    found = re.search(rf'id="{element_id}"[^>]*href="([^"]+)"', page) or \
        re.search(rf'href="([^"]+)"[^>]*id="{element_id}"', page)
    assert found, element_id
    return found.group(1).replace("&amp;", "&")


def figure(page, name):
    return re.search(rf'data-figure="{name}">([^<]*)<', page).group(1)


# --- a township official ----------------------------------------------------------------------

def test_township_official_sees_the_report_figures_of_their_township(client, auth, board_county):
    auth.login("official_a")
    page = page_of(client)
    assert "城关镇" in page and "冬季敲门行动" in page
    assert figure(page, "coverage") == "100.0%"  # all four households of township A reached
    assert figure(page, "households") == "4"
    assert figure(page, "warnings-open") == "3" and re.search(r'id="warnings-overdue"[^>]*>1\D', page)
    assert figure(page, "cases-year") == "1" and "去年同期：2" in page
    assert figure(page, "certified") == "1"
    assert 'data-chart="trend"' in page and 'data-chart="cases"' in page
    assert "<title id=\"trend-chart-title\">" in page and "<desc id=\"cases-chart-desc\">" in page
    ranking = page[page.index('id="ranking"'):page.index('id="warnings"')]
    assert "城南社区" in ranking and "村（社区）" in ranking
    # the most urgent warning first: overdue, then the one with time left, then the one already met
    assert page.index("王逾期") < page.index("赵还早") < page.index("钱已见") and "孙已结" not in page
    assert "已见面" in page and "超时" in page
    assert "城南社区创建" in page and "发生案件" in page  # waiting for review (复核)


def test_each_figure_opens_the_records_behind_it(client, auth, board_county):
    auth.login("official_a")
    page = page_of(client)
    cases = page_of(client, link(page, "cases-year"))
    assert "今年A1" in cases and "窝点A" not in cases and "去年A1" not in cases
    before = page_of(client, link(page, "cases-before"))
    assert "去年A1" in before and "去年A2" in before and "今年A1" not in before
    overdue = page_of(client, link(page, "warnings-overdue"))
    assert "王逾期" in overdue and "赵还早" not in overdue and "钱已见" not in overdue
    assert "赵还早" in page_of(client, link(page, "warnings-open"))
    certified = page_of(client, link(page, "certified"))
    assert "城南社区创建" in certified and "城关小学" not in certified
    applied = page_of(client, re.search(r'href="([^"]+)" data-status="applied"', page).group(1).replace("&amp;", "&"))
    assert "城关中学" in applied and "城关小学" not in applied
    review = page_of(client, link(page, "review-all"))
    assert "城南社区创建" in review and "城关小学" not in review
    flagged = page_of(client, link(page, "flagged-visits"))
    assert "存疑" in flagged and "无定位" in flagged  # the visit without a GPS fix
    coverage = page_of(client, link(page, "coverage"))
    assert "城南社区" in coverage and "100.0%" in coverage


def test_another_townships_records_never_show(client, auth, board_county):
    auth.login("official_a")
    page = page_of(client)
    for theirs in ("四亩地", "李四亩", "今年B1"):
        assert theirs not in page
    assert "四亩地小学" not in page_of(client, link(page, "certified"))
    assert "李四亩" not in page_of(client, link(page, "warnings-overdue"))
    auth.logout()
    auth.login("official_b")
    page = page_of(client)
    assert "四亩地镇" in page and "李四亩" in page and "四亩地小学" in page
    for theirs in ("城关镇", "城南社区", "王逾期", "城关小学"):
        assert theirs not in page
    assert figure(page, "cases-year") == "1" and figure(page, "households") == "2"


# --- the county office ------------------------------------------------------------------------

def test_county_office_ranks_its_townships_and_marks_the_bottom_five(app, client, auth, board_county):
    with app.app_context():
        root = db.session.scalar(sa.select(factories.Area).where(factories.Area.code == "610923"))
        for n in range(2, 8):  # six more townships, each with a household nobody has visited
            town = factories.AreaFactory(code=f"610923{100 + n}", name=f"第{n}镇", parent=root)
            village = factories.AreaFactory(code=f"{town.code}001", name=f"第{n}村", parent=town)
            grid = factories.AreaFactory(code=f"{village.code}001", name=f"第{n}网格", parent=village)
            factories.HouseholdFactory(grid=grid)
        recount_households()
        db.session.commit()
    auth.login("admin")
    page = page_of(client)
    ranking = page[page.index('id="ranking"'):page.index('id="warnings"')]
    assert "乡镇（街道）" in ranking
    rows = re.findall(r'<tr class="([^"]*)">\s*<td class="text-end">(\d+)</td>', ranking)
    assert [rank for _cls, rank in rows] == [str(n) for n in range(1, 9)]
    assert [cls for cls, _rank in rows].count("table-danger bottom-five") == 5
    assert rows[0][0] == "" and "城关镇" in ranking and "四亩地镇" in ranking
    assert figure(page, "warnings-open") == "4" and figure(page, "cases-year") == "2"
    zero = re.search(r'id="zero-villages"[^>]*>([^<]*)<', page).group(1)
    assert sorted(re.findall(r"\d+", zero)) == ["6", "8"]  # 6 of the 8 villages without a case this year
    assert "6 / 8" in page_of(client, link(page, "zero-villages"))  # as the zero-incident page counts them
    township = page_of(client, re.search(r'href="(/coverage/610923100\?round=\d+)"', ranking).group(1))
    assert "城南社区" in township


def test_the_areas_figures_are_its_sub_areas_summed_as_the_tallies_sum_them(app, board_county):
    with app.app_context():
        round_ = db.session.get(Round, board_county["current"])
        for code in ("610923", "610923100"):
            area = db.session.scalar(sa.select(factories.Area).where(factories.Area.code == code))
            assert dashboard.summed(area, dashboard.ranking(area, round_)) == area_figures(round_.id, area)


def test_without_a_round_the_home_says_so_and_still_links(client, auth, county):
    auth.login("admin")
    page = page_of(client)
    assert "尚未创建敲门行动" in page and "住户" in page and 'data-chart="cases"' in page
    assert 'data-chart="trend"' not in page


def test_anonymous_visitors_are_sent_to_log_in(client, board_county):
    for url in ("/", "/home/trend"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# --- the trend --------------------------------------------------------------------------------

def test_trend_counts_each_household_once_on_the_local_day_it_was_first_reached(app, board_county):
    with app.app_context():
        current = db.session.get(Round, board_county["current"])
        town = db.session.scalar(sa.select(factories.Area).where(factories.Area.code == "610923100"))
        counts = trend.reached_by_day(town, current, TODAY - timedelta(days=1), today=TODAY)
        # day 1: h0; day 3 (00:30 local): h1; day 5: h2 (its second visit on day 7 adds nothing)
        expected = [1, 1, 2, 2, 3, 3, 3, 3, 3]
        if visiting.BASE.astimezone(zone()).date() < TODAY:  # the "today" visit fell late yesterday
            expected[-1] = 4
        assert counts == expected
        last = db.session.get(Round, board_county["last"])
        assert trend.reached_by_day(town, last, last.ends_on, today=TODAY)[:3] == [1, 2, 2]
        county_counts = trend.reached_by_day(current.area, current, TODAY - timedelta(days=1), today=TODAY)
        assert county_counts[0] == 2  # the whole round's area: township B's first day too


def test_trend_chart_shows_this_round_against_the_last(client, auth, board_county):
    auth.login("official_a")
    page = page_of(client)
    svg = page[page.index('data-chart="trend"'):page.index("</svg>", page.index('data-chart="trend"'))]
    assert 'class="current"' in svg and 'class="last"' in svg
    current = re.search(r'class="current" points="([^"]+)"', svg).group(1).split()
    assert len(current) == 10  # nine past days and today
    assert "去年秋季敲门行动" in page and 'id="trend-summary"' in page


def test_a_large_area_is_counted_in_the_background_and_the_chart_fetched(app, client, auth, board_county):
    app.config["DASHBOARD_INLINE_HOUSEHOLDS"] = 0
    auth.login("official_a")
    page = page_of(client)
    assert 'hx-get="/home/trend"' in page and 'data-chart="trend"' not in page
    assert figure(page, "coverage") == "100.0%"  # the other figures do not wait
    trend.wait_counting()
    card = page_of(client, "/home/trend")
    assert 'data-chart="trend"' in card and "hx-get" not in card


def test_a_long_ranking_shows_its_head_a_gap_and_the_bottom_five():
    rows = [SimpleNamespace(rank=n, bottom=n > 15) for n in range(1, 21)]
    shown = dashboard.Board.shown_rows.fget(SimpleNamespace(rows=rows))
    assert [r.rank if r else None for r in shown] == [1, 2, 3, 4, 5, 6, None, 16, 17, 18, 19, 20]
    assert dashboard.Board.shown_rows.fget(SimpleNamespace(rows=rows[:12])) == rows[:12]


def test_chart_scales():
    assert charts.nice_step(3) == 1 and charts.nice_step(17) == 5 and charts.nice_step(230) == 50
    chart = charts.cases_chart([(TODAY.replace(day=1), 3, 5)])
    assert chart.plot.y_ticks[-1].label == "5" and chart.now[0].height < chart.before[0].height
    line = charts.trend_chart(30, [0.1, 0.5], [0.2, 0.4, 0.97]).current
    assert line.value == 0.5 and len(line.points.split()) == 2


# --- a grid worker ----------------------------------------------------------------------------

def test_grid_worker_home_is_the_button_their_warnings_and_their_round(client, auth, board_county):
    auth.login("worker_a")
    page = page_of(client)
    assert 'id="start"' in page and "开始敲门走访" in page
    assert "王逾期" in page and "超时" in page  # assigned to them, overdue
    assert "赵还早" not in page  # not assigned to them
    assert figure(page, "coverage") == "100.0%" and "城南社区第1网格" in page
    assert 'data-chart="trend"' not in page and "四亩地" not in page
    grid = page_of(client, re.search(r'href="(/coverage/610923100001001\?round=\d+)"', page).group(1))
    assert "城南社区第1网格" in grid


def test_home_in_english(client, auth, board_county):
    auth.login("official_a")
    client.post("/lang/en", data={"next": "/"})
    page = page_of(client)
    assert "Coverage day by day" in page and "Ranking of" in page and "Open warnings" in page
    assert "left" in page and "past the deadline" in page and "last round on the same day: 50.0%" in page
    assert "覆盖率" not in page and "住户" not in page


# --- in Chromium ------------------------------------------------------------------------------

LAYOUT = """() => {
  const box = id => document.getElementById(id).getBoundingClientRect();
  const svgs = [...document.querySelectorAll('svg.chart')];
  return {overflow: document.documentElement.scrollWidth - window.innerWidth,
          trend: box('trend'), ranking: box('ranking'), tiles: [...document.querySelectorAll('.tiles .tile')]
            .map(t => t.getBoundingClientRect().top),
          charts: svgs.map(s => [s.dataset.chart, s.getBoundingClientRect().width, !!s.querySelector('title'),
                                 s.querySelectorAll('text').length])};
}"""


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_dashboard_renders_its_charts_in_chromium_at_laptop_size(live_server, browser, board_county, language):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    context.add_init_script("""document.addEventListener('securitypolicyviolation',
        e => (window.violations = window.violations || []).push(e.violatedDirective + ' ' + e.blockedURI));""")
    console = []
    page = context.new_page()
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    log_in(page, live_server, "official_a")
    if language == "en":
        page.click("nav button[lang=en]")
        page.wait_for_selector("html[lang=en]")
    page.wait_for_function("() => document.querySelectorAll('svg.chart polyline.current, svg.chart rect').length > 0")
    layout = page.evaluate(LAYOUT)
    assert layout["overflow"] <= 0
    assert len(set(layout["tiles"])) == 1  # the six figures on one row
    assert abs(layout["trend"]["top"] - layout["ranking"]["top"]) < 1  # chart and ranking side by side
    assert layout["trend"]["top"] < 768  # the trend starts above the fold
    assert sorted(name for name, *_rest in layout["charts"]) == ["cases", "trend"]
    for _name, width, titled, texts in layout["charts"]:
        assert width > 300 and titled and texts > 5
    assert serious(page) == []
    assert page.evaluate("() => window.violations") is None and console == []
    context.close()


def serious(page) -> list[str]:
    """axe-core's serious and critical findings inside the page's own content."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context="main")
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")]


def test_grid_worker_home_on_a_phone_in_chromium(live_server, browser, board_county):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, "worker_a")
    start = page.locator("#start").bounding_box()
    assert start["y"] < 200 and start["width"] > 300 and start["height"] >= 44
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert "王逾期" in page.locator("#my-warnings").inner_text()
    assert serious(page) == []
    context.close()
