"""Real headless Chromium (Debian's package) driven by Playwright, against the app served on 127.0.0.1."""
from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from bench.netproxy import NetProxy

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


# gunicorn loads the app once (--preload: importing it costs seconds) and forks its workers, which must
# not share the connections the loading opened.
GUNICORN_CONF = """
def post_fork(server, worker):
    import wsgi
    from campaign.extensions import db
    with wsgi.app.app_context():
        db.engine.dispose(close=False)
"""


@pytest.fixture(scope="session")
def _gunicorn(_schema, database_url, tmp_path_factory):
    """One real gunicorn (2 workers with threads) for the whole run, on the tests' database; each test's
    ``app`` fixture empties the tables after it, as for the tests' own app."""
    from .conftest import _test_config

    config = _test_config(database_url)
    conf = tmp_path_factory.mktemp("gunicorn") / "conf.py"
    conf.write_text(GUNICORN_CONF)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
           **{f"FLASK_{key}": str(config[key]) for key in
              ("SECRET_KEY", "PERSONAL_DATA_KEY", "SQLALCHEMY_DATABASE_URI", "PASSWORD_HASH_METHOD")}}
    port = free_port()
    root = Path(__file__).parent.parent
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--preload", "-c", str(conf), "-w", "2", "-k", "gthread", "--threads", "8",
         "--graceful-timeout", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
        cwd=root, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn stopped at start-up (exit {process.returncode})")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("gunicorn did not answer within 60 s")
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port() -> int:
    """A free port on 127.0.0.1, released at once for gunicorn to bind."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn_server(app, _gunicorn):
    """The URL of the real app under gunicorn, on the database of this test's ``app``: data committed in the
    test is what gunicorn sees."""
    yield f"http://127.0.0.1:{_gunicorn}"
    _wait_until_quiet(app)


def _wait_until_quiet(app, seconds: float = 10) -> None:
    """Lets gunicorn finish what the closed pages asked of it before ``app`` empties the tables: on PostgreSQL
    a request still writing and the TRUNCATE would deadlock."""
    import sqlalchemy as sa

    from campaign.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return
        deadline, quiet = time.monotonic() + seconds, 0
        while quiet < 3 and time.monotonic() < deadline:  # quiet a little while: a request may be just starting
            busy = db.session.scalar(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state <> 'idle'"))
            db.session.rollback()
            quiet = 0 if busy else quiet + 1
            time.sleep(0.1)


@pytest.fixture
def field_server(gunicorn_server):
    """A bad network (bench/netproxy.py) in front of gunicorn: drive Chromium at ``proxy.url`` and set
    ``proxy.mode`` ("pass", "500", "503", "portal", "hang", "down")."""
    proxy = NetProxy(int(gunicorn_server.rsplit(":", 1)[1]))
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="session")
def _playwright():
    """Playwright's driver, once for the run: its sync API cannot be started twice at once."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def _chromium(_playwright):
    """One Chromium for the whole run: launching it costs a second or more, and every test works in
    contexts of its own (their cookies, storage and service workers are theirs alone)."""
    chromium = _playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def browser(_chromium):
    """The run's Chromium; whatever contexts a test leaves open are closed after it."""
    yield _chromium
    for context in list(_chromium.contexts):
        context.close()


def phone(browser, **extra):
    """A phone-sized context at the county, sharing its location (``extra`` may override it)."""
    options = {"geolocation": {"latitude": 33.3, "longitude": 108.3}, "permissions": ["geolocation"], **extra}
    return browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                               device_scale_factor=2, locale="zh-CN", timezone_id="Asia/Shanghai", **options)


def log_in(page, base: str, username: str, password: str = "test-password-1") -> None:
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(base + "/")
