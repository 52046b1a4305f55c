"""Navigation that fits (issue 15): the top bar's groups per role on one line in Chromium, the user menu inside
the screen, the visits table in the menu, coverage breadcrumbs that keep the round, and rankings that link across
and back."""
from __future__ import annotations

import os
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from campaign.extensions import db

from . import factories
from .browser import log_in

SHOTS = os.environ.get("NAV_SCREENSHOTS")  # a folder to keep what Chromium drew, for a person to look at
HREF = re.compile(r'<a\s[^>]*href="([^"]*)"[^>]*>')


@pytest.fixture
def two_rounds(app):
    """The small county with an older round and the current one."""
    with app.app_context():
        county = factories.small_county()
        older = factories.RoundFactory(area=county.root, name="第一轮")
        factories.RoundFactory(area=county.root, name="第二轮")
        db.session.commit()
        return {"older": older.id, "worker_a": county.worker_a.id}


def menu(page: str) -> dict[str, str]:
    """The main menu's groups (their data-nav key) with the markup of each."""
    bar = page[page.index('<nav class="navbar'):page.index("</nav>")]
    parts = re.split(r'data-nav="([a-z]+)"', bar)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def links(markup: str) -> list[str]:
    return [unescape(href) for href in HREF.findall(markup)]


def paths(markup: str) -> set[str]:
    return {urlsplit(href).path for href in links(markup)}


def crumbs(page: str) -> str:
    return page[page.index('<ol class="breadcrumb'):page.index("</ol>")]


def query(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def test_county_office_finds_every_page_in_five_groups(client, auth, two_rounds):
    auth.login("admin")
    groups = menu(client.get("/").get_data(as_text=True))
    assert list(groups) == ["home", "fieldwork", "safety", "creation", "figures", "admin", "user"]
    assert paths(groups["fieldwork"]) == {"/visits/table", "/callbacks/", "/rounds/", "/households/"}
    assert paths(groups["safety"]) == {"/warnings/", "/incidents/", "/events/"}
    assert paths(groups["creation"]) == {"/creation/"}
    assert paths(groups["figures"]) == {"/coverage/", "/maps/", "/coverage/610923/townships",
                                        "/coverage/610923/villages", "/coverage/610923/workers", "/risk/610923", "/reports/"}
    assert paths(groups["admin"]) == {"/areas/", "/users/", "/audit/"}
    assert paths(groups["user"]) == {"/account/"}
    assert 'action="/logout"' in groups["user"] and "dropdown-menu-end" in groups["user"]


def test_township_official_has_the_visits_table_but_no_users_or_township_ranking(client, auth, two_rounds):
    auth.login("official_a")
    groups = menu(client.get("/").get_data(as_text=True))
    assert list(groups) == ["home", "fieldwork", "safety", "creation", "figures", "admin", "user"]
    assert "/visits/table" in paths(groups["fieldwork"])
    assert paths(groups["figures"]) == {"/coverage/", "/maps/", "/coverage/610923100/villages",
                                        "/coverage/610923100/workers", "/risk/610923100", "/reports/"}
    assert paths(groups["admin"]) == {"/areas/"}
    assert "dropdown-toggle" not in groups["admin"]  # a group of one page is a plain link


def test_grid_worker_sees_only_what_they_can_use(client, auth, two_rounds):
    auth.login("worker_a")
    page = client.get("/visits/").get_data(as_text=True)
    groups = menu(page)
    assert list(groups) == ["home", "fieldwork", "safety", "figures", "admin", "user"]
    assert paths(groups["fieldwork"]) == {"/visits/", "/callbacks/mine", "/rounds/", "/households/"}
    assert paths(groups["safety"]) == {"/warnings/", "/events/"}
    assert paths(groups["figures"]) == {"/coverage/", "/maps/"}
    every = paths(page[page.index('<nav class="navbar'):page.index("</nav>")])
    assert not every & {"/visits/table", "/incidents/", "/creation/", "/reports/", "/users/", "/audit/"}
    # the phone page's tests log out through this form
    assert re.search(r'<form method="post" action="/logout"', page)


def test_menu_marks_the_page_and_its_group(client, auth, two_rounds):
    auth.login("admin")
    groups = menu(client.get("/visits/table").get_data(as_text=True))
    assert re.search(r'class="dropdown-item active" href="/visits/table" aria-current="page"', groups["fieldwork"])
    assert re.search(r'dropdown-toggle text-nowrap active"[^>]*aria-current="true"', groups["fieldwork"])
    assert "aria-current" not in groups["safety"] and "aria-current" not in groups["home"]
    groups = menu(client.get("/coverage/610923/villages").get_data(as_text=True))
    assert re.search(r'active" href="/coverage/610923/villages" aria-current="page"', groups["figures"])
    assert 'href="/coverage/" aria-current' not in groups["figures"]  # the ranking, not the coverage page
    groups = menu(client.get("/account/").get_data(as_text=True))
    assert 'href="/account/" aria-current="page"' in groups["user"]


def test_anonymous_and_offline_pages_have_no_menu(client, app, two_rounds):
    page = client.get("/login").get_data(as_text=True)
    assert "data-nav" not in page and 'lang="en"' in page  # the language switch stays


@pytest.mark.parametrize("path", ["/coverage/610923100001001", "/coverage/610923100001/villages",
                                  "/coverage/610923100001/workers", "/coverage/610923100001/visits"])
def test_coverage_breadcrumbs_stay_in_coverage_and_keep_the_round(client, auth, two_rounds, path):
    older = str(two_rounds["older"])
    auth.login("admin")
    page = client.get(f"{path}?round={older}").get_data(as_text=True)
    trail = links(crumbs(page))
    assert trail and all(urlsplit(href).path.startswith("/coverage/") for href in trail)
    assert all(query(href)["round"] == [older] for href in trail)
    assert urlsplit(trail[0]).path == "/coverage/610923"
    # every other coverage link of the page (drill-down, rankings, visits, exports) keeps the round too
    main = page[page.index("<main"):]
    coverage = [href for href in links(main) if href.startswith("/coverage/")]
    assert coverage and all(query(href).get("round") == [older] for href in coverage), coverage


def test_official_sees_the_county_in_the_trail_without_a_link(client, auth, two_rounds):
    auth.login("official_a")
    trail = crumbs(client.get("/coverage/610923100001").get_data(as_text=True))
    assert "宁陕县" in trail and [urlsplit(h).path for h in links(trail)] == ["/coverage/610923100"]


def test_rankings_link_across_and_back_in_the_same_round(client, auth, two_rounds):
    older = str(two_rounds["older"])
    auth.login("admin")
    for kind in ("townships", "villages", "workers"):
        page = client.get(f"/coverage/610923/{kind}?round={older}").get_data(as_text=True)
        across = page[page.index('ranking-links"'):]
        across = across[:across.index("</nav>")]
        hrefs = links(across)
        assert [urlsplit(h).path for h in hrefs] == ["/coverage/610923", "/coverage/610923/townships",
                                                     "/coverage/610923/villages", "/coverage/610923/workers"]
        assert all(query(h)["round"] == [older] for h in hrefs)
        assert f'href="/coverage/610923/{kind}?round={older}" data-ranking="{kind}" aria-current="page"' in across
        assert across.count("aria-current") == 1
    townships = client.get(f"/coverage/610923/townships?round={older}").get_data(as_text=True)
    assert "城关镇" in townships and "四亩地镇" in townships
    assert client.get(f"/coverage/610923/townships/export.xlsx?round={older}").status_code == 200


def test_a_township_has_no_township_ranking_to_link(client, auth, two_rounds):
    auth.login("official_a")
    page = client.get("/coverage/610923100/villages").get_data(as_text=True)
    assert 'data-ranking="villages"' in page and 'data-ranking="workers"' in page
    assert 'data-ranking="townships"' not in page


def test_a_workers_name_in_the_ranking_opens_their_visits(client, auth, two_rounds):
    older, worker = str(two_rounds["older"]), two_rounds["worker_a"]
    auth.login("admin")
    page = client.get(f"/coverage/610923/workers?round={older}").get_data(as_text=True)
    href = unescape(re.search(rf'href="([^"]*)" data-worker-visits="{worker}"', page).group(1))
    assert urlsplit(href).path == "/visits/table"
    assert query(href) == {"area": ["610923"], "round": [older], "worker": [str(worker)]}
    table = client.get(href)
    assert table.status_code == 200
    assert re.search(rf'<option value="{worker}"[^>]*\sselected', table.get_data(as_text=True))  # the filter is set


# What Chromium lays out: the top-level entries of the bar, and the user menu's button.
BAR = """() => {
  const bar = document.querySelector('nav.navbar');
  const top = (e) => Math.round(e.getBoundingClientRect().top);
  const items = [...bar.querySelectorAll('.navbar-nav > .nav-item')].map(top);
  const tops = [...bar.querySelectorAll('.navbar-brand, button[lang]')].map(top).concat(items);
  const user = document.getElementById('user-menu').getBoundingClientRect();
  return {height: bar.getBoundingClientRect().height, items, tops, userRight: user.right, userTop: user.top,
          width: innerWidth, overflow: document.documentElement.scrollWidth - innerWidth};
}"""


@pytest.mark.parametrize(("language", "width"), [("zh_CN", 1280), ("zh_CN", 1366), ("en", 1280), ("en", 1366)])
def test_county_offices_bar_is_one_line_with_the_user_menu_on_screen(live_server, browser, two_rounds,
                                                                     language, width):
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, "admin")
    if language == "en":
        page.click("nav button[lang=en]")
        page.wait_for_selector("html[lang=en]")
    bar = page.evaluate(BAR)
    assert bar["height"] < 70, bar
    assert len(bar["items"]) == 7 and len(set(bar["items"])) == 1, bar  # the groups and the user menu on one line
    assert max(bar["tops"]) - min(bar["tops"]) < 12, bar  # the brand and the language switch beside them
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/nav-{language}-{width}.png")
    assert bar["userRight"] <= bar["width"] and bar["overflow"] <= 0, bar
    page.click("#user-menu")
    menu_box = page.locator("[data-nav=user] .dropdown-menu").bounding_box()
    assert menu_box["x"] >= 0 and menu_box["x"] + menu_box["width"] <= width, menu_box
    assert page.locator("[data-nav=user] form[action='/logout'] button").is_visible()
    page.click("[data-nav=fieldwork] > button")
    page.click("[data-nav=fieldwork] a[href='/visits/table']")
    page.wait_for_url(re.compile(r".*/visits/table$"))
    assert page.locator("[data-nav=fieldwork] > button.active").count() == 1
    if SHOTS:
        page.goto(live_server + "/coverage/610923/villages")
        page.click("[data-nav=figures] > button")
        page.screenshot(path=f"{SHOTS}/ranking-{language}-{width}.png")
        page.goto(live_server + "/coverage/610923100")
        page.screenshot(path=f"{SHOTS}/coverage-{language}-{width}.png", full_page=True)
    context.close()


def test_phone_menu_opens_its_groups_and_logs_out(live_server, browser, two_rounds):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, "worker_a")
    page.click("nav .navbar-toggler")
    page.wait_for_selector("#nav.show")
    page.click("[data-nav=safety] > button")
    item = page.locator("[data-nav=safety] a[href='/warnings/']")
    assert item.is_visible() and item.bounding_box()["height"] >= 44
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/phone-menu.png", full_page=True)
    page.click("#user-menu")
    page.click("[data-nav=user] form[action='/logout'] button")
    page.wait_for_url(re.compile(r".*/login.*"))
    context.close()
