"""A tiny HTTP client for the benchmarks: cookies, the log-in form with its CSRF token, JSON."""
from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import time
import urllib.parse
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).parent.parent


class Client:
    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data

    def log_in(self, username: str, password: str) -> None:
        _, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()
        form = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": password}).encode()
        status, _ = self.request("POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 302, f"log-in of {username} failed ({status})"
        self.csrf = self.get_json("/api/v1/session")["csrf_token"]

    def get_json(self, path: str):
        status, data = self.request("GET", path)
        assert status == 200, (path, status, data[:200])
        return json.loads(data)

    def post_json(self, path: str, payload) -> tuple[int, dict]:
        status, data = self.request("POST", path, json.dumps(payload).encode(),
                                    {"Content-Type": "application/json", "X-CSRFToken": self.csrf})
        return status, json.loads(data)


@contextmanager
def gunicorn(database_url: str, port: int, workers: int = 2):
    """The app served by gunicorn, as in production, on 127.0.0.1 only."""
    env = {"FLASK_SQLALCHEMY_DATABASE_URI": database_url, "FLASK_SECRET_KEY": "bench-secret", "PATH": "/usr/bin:/bin"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "wsgi:app"], cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)
