"""The app as a whole: language, offline assets, errors, health."""
import re

from campaign import create_app


def test_config_from_argument_overrides_defaults(database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url})
    assert app.testing
    assert app.config["BABEL_DEFAULT_LOCALE"] == "zh_CN"


def test_secret_key_is_generated_per_install_when_not_configured(tmp_path, database_url, monkeypatch):
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    assert len(app.config["SECRET_KEY"]) == 64
    again = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_every_asset_is_served_locally(client, auth, county):
    auth.login("admin")
    for url in ("/", "/areas/610923", "/households/", "/login"):
        page = client.get(url, follow_redirects=True).get_data(as_text=True)
        for src in re.findall(r'(?:src|href)="([^"]+)"', page):
            assert not src.startswith(("http:", "https:", "//")), src
            if src.startswith("/static/"):
                assert client.get(src).status_code == 200, src


def test_language_switch_to_english_and_back(client, auth, county):
    auth.login("admin")
    assert "住户" in client.get("/").get_data(as_text=True)
    client.post("/lang/en", data={"next": "/"})
    page = client.get("/").get_data(as_text=True)
    assert "Households" in page and "住户" not in page
    client.post("/lang/zh_CN")
    assert "住户" in client.get("/").get_data(as_text=True)


def test_unknown_language_is_404(client):
    assert client.post("/lang/xx").status_code == 404


def test_not_found_page_is_translated(client, auth, county):
    auth.login("admin")
    response = client.get("/areas/999999")
    assert response.status_code == 404
    assert "不存在" in response.get_data(as_text=True)


def test_pages_are_mobile_friendly(client):
    assert 'name="viewport"' in client.get("/login").get_data(as_text=True)


def test_health_check(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_responses_carry_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
