"""Pickers: areas, grid workers and schools or units found by name, pinyin, initials or code, only inside the
user's own area; the forms take what a picker sends (a code or an id) as they took typed codes."""
import time

import sqlalchemy as sa
from flask_babel import force_locale
from flask_login import login_user
from playwright.sync_api import expect

from campaign.accounts.models import User
from campaign.areas.models import AreaLevel
from campaign.creation import services as creation
from campaign.creation.models import TargetKind
from campaign.extensions import db
from campaign.incidents.models import Incident
from campaign.pickers import options
from campaign.pickers.pinyin import normalise, rank, spelling

from . import factories
from .browser import log_in


def found(query: str, name: str, code: str = "") -> int | None:
    return rank(normalise(query), name, code)


def test_names_are_found_by_initials_full_pinyin_a_mix_and_a_code():
    assert spelling("城南社区第12网格") == "cheng nan she qu di 12 wang ge"
    assert found("cnsq", "城南社区") == 0  # every initial
    assert found("csq", "城南社区") is not None  # initials with one passed over
    assert found("chengnan", "城南社区") == 1 and found("Cheng Nan", "城南社区") == 1
    assert found("chengnsq", "城南社区") == 1  # full pinyin, then initials
    assert found("城南", "城南社区") == 1 and found("社区", "城南社区") == 2
    assert found("610923100001", "城南社区", "610923100001") == 0
    assert found("6109231", "城南社区", "610923100001") == 1
    assert found("xyz", "城南社区") is None and found("csq", "四亩地村") is None
    assert found("ｃｓｑ", "城南社区") is not None  # typed with a full-width keyboard


def test_a_long_run_of_one_letter_answers_at_once():
    started = time.perf_counter()
    assert found("a" * 39 + "b", "啊" * 60) is None and found("a" * 200, "啊" * 60) == 1  # cut at 40 letters
    assert time.perf_counter() - started < 0.5


def _two_xinglong(c):
    """兴隆村 in both townships, and a third village in township A."""
    factories.AreaFactory(code="610923100002", name="兴隆村", parent=c.town_a)
    factories.AreaFactory(code="610923100003", name="城北社区", parent=c.town_a)
    factories.AreaFactory(code="610923101002", name="兴隆村", parent=c.town_b)
    db.session.commit()


def test_a_shared_name_shows_its_township_and_the_rest_do_not(ctx):
    c = factories.small_county()
    _two_xinglong(c)
    labels = {o.code: o.label for o in options.area_options([AreaLevel.VILLAGE], c.admin)}
    assert labels["610923100002"] == "兴隆村 · 城关镇" and labels["610923101002"] == "兴隆村 · 四亩地镇"
    assert labels["610923100001"] == "城南社区"
    # an official sees one 兴隆村 only: no township is needed
    assert {o.label for o in options.area_options([AreaLevel.VILLAGE], c.official_a)} == {
        "城南社区", "兴隆村", "城北社区"}


def test_the_best_answers_come_first(ctx):
    c = factories.small_county()
    _two_xinglong(c)
    results, more = options.find_areas("csq", [AreaLevel.VILLAGE], c.official_a)
    assert [o.label for o in results] == ["城南社区", "城北社区"] and not more
    results, _more = options.find_areas("cbsq", [AreaLevel.VILLAGE], c.official_a)
    assert [o.label for o in results][0] == "城北社区"
    results, _more = options.find_areas("610923100002", None, c.official_a)
    assert [o.code for o in results] == ["610923100002"]


def test_the_areas_endpoint_answers_inside_the_users_area_only(client, auth, county, app):
    with app.app_context():
        _two_xinglong(factories.SimpleNamespace(
            town_a=db.session.get(factories.Area, county.town_a.id),
            town_b=db.session.get(factories.Area, county.town_b.id)))
    assert client.get("/api/v1/pickers/areas?q=xl").status_code == 401
    auth.login("official_b")
    body = client.get("/api/v1/pickers/areas?q=csq&level=village").get_json()
    assert body == {"results": [], "more": False}  # 城南社区 is in township A
    codes = [r["code"] for r in client.get("/api/v1/pickers/areas?q=xl").get_json()["results"]]
    assert codes == ["610923101002"]
    assert client.get("/api/v1/pickers/areas?q=610923100001").get_json()["results"] == []
    assert client.get("/api/v1/pickers/areas?level=province").status_code == 400
    auth.logout()
    auth.login("official_a")
    first = client.get("/api/v1/pickers/areas?q=csq&level=village").get_json()["results"][0]
    assert first == {"id": county.village_a.id, "code": "610923100001", "label": "城南社区",
                     "hint": "610923100001", "pinyin": "cheng nan she qu"}
    grids = client.get("/api/v1/pickers/areas?q=cnsq&level=grid").get_json()["results"]
    assert {g["code"] for g in grids} == {"610923100001001", "610923100001002"}
    auth.logout()
    auth.login("worker_a")  # a grid worker: their own grid only
    assert [r["code"] for r in client.get("/api/v1/pickers/areas?q=cnsq").get_json()["results"]] == [
        "610923100001001"]


def test_the_workers_endpoint_is_for_offices_and_keeps_to_their_area(client, auth, county, app):
    with app.app_context():
        db.session.get(User, county.worker_a.id).display_name = "张晓明"
        db.session.get(User, county.worker_b.id).display_name = "张小梅"
        db.session.commit()
    assert client.get("/api/v1/pickers/workers?q=zxm").status_code == 401
    auth.login("worker_a")
    assert client.get("/api/v1/pickers/workers?q=zxm").status_code == 403
    auth.logout()
    auth.login("official_a")
    results = client.get("/api/v1/pickers/workers?q=zx").get_json()["results"]
    assert [(r["id"], r["label"], r["hint"]) for r in results] == [
        (county.worker_a.id, "张晓明", "worker_a · 城南社区第1网格")]
    assert client.get("/api/v1/pickers/workers?q=worker_b").get_json()["results"] == []
    assert client.get("/api/v1/pickers/workers?area=610923101").status_code == 404
    auth.logout()
    auth.login("admin")
    assert len(client.get("/api/v1/pickers/workers?q=zx").get_json()["results"]) == 2


def test_the_targets_endpoint_keeps_to_the_users_area(client, auth, county, app):
    with app.app_context():
        for town, name in ((county.town_a, "城关小学"), (county.town_b, "四亩地小学")):
            area = db.session.get(factories.Area, town.id)
            fields = creation.check_fields(kind=TargetKind.SCHOOL, name=name, area=area, headcount=300)
            creation.create_target(area=area, fields=fields, user=db.session.get(User, county.admin.id))
        db.session.commit()
    auth.login("official_a")
    results = client.get("/api/v1/pickers/targets?q=xx").get_json()["results"]
    assert [(r["label"], r["hint"]) for r in results] == [("城关小学", "城关镇")]
    auth.logout()
    auth.login("official_b")
    assert [r["label"] for r in client.get("/api/v1/pickers/targets?q=xx").get_json()["results"]] == ["四亩地小学"]


def test_a_form_writes_its_choices_with_pinyin_and_still_takes_a_typed_code(client, auth, county, app):
    auth.login("official_a")
    html = client.get("/incidents/new").get_data(as_text=True)
    assert 'data-picker="area"' in html and 'data-pinyin="cheng nan she qu"' in html
    assert 'value="610923101001"' not in html  # another township's village is not offered
    response = client.post("/incidents/new", data={"village_code": " 610923100001 ", "occurred_on": "2026-01-05",
                                                    "fraud_type": "loan", "loss": "100", "kind": "case"})
    assert response.status_code == 302
    refused = client.post("/incidents/new", data={"village_code": "610923101001", "occurred_on": "2026-01-05",
                                                   "fraud_type": "loan", "loss": "100", "kind": "case"})
    assert refused.status_code == 400
    assert 'value="610923101001" selected' in refused.get_data(as_text=True)  # shown again, with its error


def test_a_large_area_gets_a_text_box_that_searches_the_server(ctx, monkeypatch):
    c = factories.small_county()
    monkeypatch.setattr(options, "CAP", 1)
    from campaign.households.forms import HouseholdForm

    with ctx.test_request_context(), force_locale("en"):
        login_user(db.session.scalar(sa.select(User).where(User.username == "official_a")))
        form = HouseholdForm(data={"grid_code": c.grid_a2.code})
        html = str(form.grid_code())
    assert html.startswith("<input") and 'data-remote="1"' in html and 'value="610923100001002"' in html
    assert "城南社区第2网格" in html and "/api/v1/pickers/areas?level=grid" in html


def test_several_grids_are_taken_whether_picked_or_typed(client, auth, county, app):
    auth.login("admin")
    html = client.get(f"/users/{county.worker_a.id}/edit").get_data(as_text=True)
    assert 'name="grid_codes"' in html and "multiple" in html
    data = {"username": "worker_a", "role": "worker", "active": "y"}
    picked = client.post(f"/users/{county.worker_a.id}/edit",
                         data={**data, "grid_codes": ["610923100001001", "610923101001001"]})
    assert picked.status_code == 302
    with app.app_context():
        worker = db.session.get(User, county.worker_a.id)
        assert [g.code for g in worker.grids] == ["610923100001001", "610923101001001"]
    typed = client.post(f"/users/{county.worker_a.id}/edit", data={**data, "grid_codes": "610923100001002\n"})
    assert typed.status_code == 302
    with app.app_context():
        assert [g.code for g in db.session.get(User, county.worker_a.id).grids] == ["610923100001002"]


def test_the_english_page_labels_the_pickers(client, auth, county):
    auth.login("official_a")
    client.post("/lang/en")
    html = client.get("/households/new").get_data(as_text=True)
    assert "Type a name, its pinyin initials or its code" in html


def test_an_incident_is_recorded_by_typing_initials_into_the_picker(live_server, browser, app, county):
    with app.app_context():
        _two_xinglong(factories.SimpleNamespace(
            town_a=db.session.get(factories.Area, county.town_a.id),
            town_b=db.session.get(factories.Area, county.town_b.id)))
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    log_in(page, live_server, "official_a")
    page.goto(live_server + "/incidents/new")
    page.click("#village_code-ts-control")
    page.keyboard.type("csq")
    options_shown = page.locator(".ts-dropdown .option")
    expect(options_shown).to_have_count(2)
    assert [t.split()[0] for t in options_shown.all_inner_texts()] == ["城南社区", "城北社区"]  # not 兴隆村
    assert "610923100001" in options_shown.first.inner_text()  # the code as a hint
    options_shown.first.click()
    assert page.locator("#village_code").input_value() == "610923100001"
    page.fill("#occurred_on", "2026-01-05")
    page.fill("#loss", "800")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/incidents/" in page.url and "/new" not in page.url
    with app.app_context():
        incident = db.session.scalar(sa.select(Incident))
        assert incident.village.code == "610923100001" and incident.loss == 800
    assert problems == []
    context.close()

