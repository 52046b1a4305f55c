"""The Content-Security-Policy: no inline script runs without the response's nonce, no template has an
inline handler, confirm dialogs still ask (in real Chromium), and HSTS once cookies are HTTPS-only."""
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from campaign.extensions import db
from campaign.rounds.models import Round

from . import factories
from .browser import log_in

TEMPLATES = Path(__file__).parent.parent / "templates"
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


class Scripts(HTMLParser):
    """The inline scripts of a page (with their nonce) and any on*= attribute on any element."""

    def __init__(self):
        super().__init__()
        self.inline, self.handlers = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.handlers += [f"<{tag} {name}=…>" for name in attrs if name.startswith("on")]
        if tag == "script" and "src" not in attrs and attrs.get("type") != "application/json":
            self.inline.append(attrs.get("nonce"))


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def nonce_of(response) -> str:
    nonces = [v for v in directives(response)["script-src"] if v.startswith("'nonce-")]
    assert len(nonces) == 1, response.headers["Content-Security-Policy"]
    return nonces[0][len("'nonce-"):-1]


def test_scripts_need_the_apps_files_or_a_fresh_nonce_never_unsafe_inline(client):
    first, second = client.get("/login"), client.get("/login")
    script_src = directives(first)["script-src"]
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src and "'self'" in script_src
    assert len(nonce_of(first)) >= 16 and nonce_of(first) != nonce_of(second)
    assert "'unsafe-inline'" in directives(first)["style-src"]  # Leaflet's inline styles, never scripts


def test_no_template_has_an_inline_event_handler_or_a_javascript_url():
    offenders = [f"{path.relative_to(TEMPLATES)}: {match.group(0)[:60]}"
                 for path in TEMPLATES.rglob("*.html") for text in [path.read_text()]
                 for match in [*HANDLER.finditer(text), *re.finditer(r"javascript:", text)]]
    assert offenders == []


@pytest.fixture
def walked(app):
    """The small county with two rounds; their ids and a household's."""
    with app.app_context():
        c = factories.small_county()
        rounds = [factories.RoundFactory(area=c.root, name=name) for name in ("第一轮敲门行动", "第二轮敲门行动")]
        db.session.commit()
        return {"rounds": [r.id for r in rounds], "household": c.households_a[0].id}


def _pages(app, walked) -> list[str]:
    """Every page without arguments, and the pages of one area, round and household."""
    plain = sorted({rule.rule for rule in app.url_map.iter_rules()
                    if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith("/api/")
                    and not rule.rule.endswith((".xlsx", ".pdf", ".geojson", ".js"))})
    return [*plain, "/maps/610923", "/maps/610923/frame", "/coverage/610923", "/areas/610923",
            f"/households/{walked['household']}", f"/rounds/{walked['rounds'][0]}/edit", "/no-such-page"]


def test_every_inline_script_of_every_page_carries_the_responses_nonce(app, client, auth, walked):
    auth.login("admin")
    seen = 0
    for url in _pages(app, walked):
        response = client.get(url)
        if not response.mimetype == "text/html":
            continue
        parser = Scripts()
        parser.feed(response.get_data(as_text=True))
        nonce = nonce_of(response)
        assert parser.inline == [nonce] * len(parser.inline), url
        assert parser.handlers == [], url
        seen += 1 if parser.inline else 0
    assert seen >= 1  # the map frame at least: Folium's scripts


def test_the_worker_phone_page_runs_under_the_policy_too(client, auth, walked):
    auth.login("worker_a")
    response = client.get("/visits/")
    parser = Scripts()
    parser.feed(response.get_data(as_text=True))
    assert response.status_code == 200 and parser.handlers == [] and None not in parser.inline


def test_hsts_is_sent_only_when_cookies_are_https_only(app, client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    app.config["SESSION_COOKIE_SECURE"] = True
    assert client.get("/login").headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_a_delete_button_still_asks_first_and_the_round_picker_still_switches(live_server, browser, walked, app):
    second = walked["rounds"][1]
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    violations, dialogs = [], []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    log_in(page, live_server, "admin")
    page.goto(live_server + "/rounds/")
    delete = page.locator(f"form[action$='/rounds/{second}/delete'] button")

    def answer(dialog, accept: bool):
        dialogs.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    delete.click()
    page.wait_for_timeout(300)
    with app.app_context():
        assert db.session.get(Round, second) is not None  # dismissed: nothing was sent
    page.once("dialog", lambda d: answer(d, True))
    with page.expect_navigation():
        delete.click()
    with app.app_context():
        assert db.session.get(Round, second) is None
    assert len(dialogs) == 2 and dialogs[0] == dialogs[1] != ""

    first = walked["rounds"][0]
    with app.app_context():
        factories.RoundFactory(area=db.session.get(Round, first).area, name="第三轮敲门行动")
        db.session.commit()
    page.goto(f"{live_server}/coverage/610923?round={first}")
    picker = page.locator("select[data-autosubmit]")
    chosen = picker.locator("option:not([selected])").first.get_attribute("value")
    with page.expect_navigation():
        picker.select_option(chosen)
    assert f"round={chosen}" in page.url
    assert violations == []
    context.close()
