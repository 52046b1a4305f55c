"""Coverage pages: the drill-down, the rankings with the bottom five marked, and the honesty signals."""
import re

import pytest

from campaign.areas.services import recount_households
from campaign.extensions import db
from campaign.visits.services import record_visits

from . import factories, visiting


@pytest.fixture
def ranked_county(app):
    """Township A with seven villages of 2 households; village n has n households... reached (0..2)."""
    with app.app_context():
        c = factories.small_county()
        round_ = factories.RoundFactory(area=c.root)
        grids = [c.grid_a1]
        for n in range(2, 8):
            village = factories.AreaFactory(code=f"610923100{n:03d}", name=f"第{n}村", parent=c.town_a)
            grids.append(factories.AreaFactory(code=f"610923100{n:03d}001", name=f"第{n}村网格", parent=village))
        c.worker_a.grids = grids
        items, minute = [], 0
        for index, grid in enumerate(grids):
            for k in range(2):
                household = factories.HouseholdFactory(grid=grid, lat=33.3 + index / 1000, lon=108.3 + k / 1000)
                if k < index % 3:
                    items.append(visiting.visit(household, round_.id, minutes=minute))
                    minute += 5
        recount_households()
        record_visits(worker=c.worker_a, items=items)
        db.session.commit()
        return {"round": round_.id}


def rows(page):
    return re.findall(r'<tr class="([^"]*)">\s*<td>(\d+)</td>', page)


def test_township_drill_down_ranks_villages_and_marks_the_bottom_five(client, auth, ranked_county):
    auth.login("official_a")
    page = client.get("/coverage/610923100").get_data(as_text=True)
    assert "覆盖率" in page and "城关镇" in page
    ranked = rows(page)
    assert len(ranked) == 7
    assert [cls for cls, _ in ranked].count("table-danger bottom-five") == 5
    assert ranked[0][0] == ""  # the best village is not marked


def test_ranking_of_villages_and_workers(client, auth, ranked_county):
    auth.login("admin")
    villages = client.get("/coverage/610923/villages").get_data(as_text=True)
    assert "村（社区）排名" in villages and len(rows(villages)) == 8
    workers = client.get("/coverage/610923/workers").get_data(as_text=True)
    assert "worker_a" in workers and "worker_b" in workers


def test_grid_page_lists_households_with_their_status(client, auth, ranked_county):
    auth.login("worker_a")
    page = client.get("/coverage/610923100002001").get_data(as_text=True)
    assert "已入户宣传" in page and "未走访" in page


def test_flagged_share_is_shown_next_to_the_figures(client, auth, ranked_county):
    auth.login("admin")
    page = client.get("/coverage/610923").get_data(as_text=True)
    assert "⚑" in page and "存疑" in page


def test_visits_list_shows_distance_dots_and_filters_flagged(app, client, auth, ranked_county):
    with app.app_context():
        worker = db.session.scalar(db.select(factories.User).where(factories.User.username == "worker_a"))
        household = factories.HouseholdFactory(grid=worker.grids[0], lat=33.3, lon=108.3)
        db.session.commit()
        record_visits(worker=worker, items=[visiting.visit(household, ranked_county["round"], minutes=100,
                                                           gps=(33.31, 108.3))])
        db.session.commit()
    auth.login("official_a")
    page = client.get("/coverage/610923100/visits").get_data(as_text=True)
    assert "geo-green" in page and "geo-red" in page and "距住户" in page
    flagged = client.get("/coverage/610923100/visits?flagged=1").get_data(as_text=True)
    assert "geo-red" in flagged and "geo-green" not in flagged


def test_household_page_shows_its_visits(client, auth, ranked_county, app):
    auth.login("official_a")
    with app.app_context():
        from campaign.visits.models import Visit
        household_id = db.session.scalar(db.select(Visit.household_id).limit(1))
    page = client.get(f"/households/{household_id}").get_data(as_text=True)
    assert "已入户宣传" in page and "100 米以内" in page


def test_coverage_without_any_round_says_so(client, auth, county):
    auth.login("admin")
    page = client.get("/coverage/610923").get_data(as_text=True)
    assert "尚未创建敲门行动" in page


def test_worker_is_sent_from_coverage_index_to_their_grid(client, auth, ranked_county):
    auth.login("worker_b")
    response = client.get("/coverage/")
    assert response.headers["Location"].startswith("/coverage/610923101001001")


def test_home_shows_the_current_round_and_its_coverage(client, auth, ranked_county):
    auth.login("official_a")
    page = client.get("/").get_data(as_text=True)
    assert "当前敲门行动" in page and "%" in page
    auth.logout()
    auth.login("worker_a")
    assert "开始敲门走访" in client.get("/").get_data(as_text=True)


def test_risks_noticed_at_the_door_show_on_the_visit(app, client, auth, ranked_county):
    with app.app_context():
        worker = db.session.scalar(db.select(factories.User).where(factories.User.username == "worker_a"))
        household = factories.HouseholdFactory(grid=worker.grids[0], lat=33.3, lon=108.3)
        db.session.commit()
        record_visits(worker=worker, items=[visiting.visit(household, ranked_county["round"], minutes=110,
                                                           risk_flags=["suspicious_calls"])])
        db.session.commit()
        household_id = household.id
    auth.login("official_a")
    assert "接到可疑电话" in client.get(f"/households/{household_id}").get_data(as_text=True)
