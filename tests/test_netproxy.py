"""The bad network the phone's field tests run through (bench/netproxy.py), against a tiny HTTP server."""
import http.client
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.netproxy import NetProxy


class Upstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = b"x" * int(self.path.strip("/") or 5)
        self.send_response(200)
        self.send_header("X-Wuzha-App", "1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(201)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def upstream():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(upstream):
    with NetProxy(upstream) as proxy:
        yield proxy


def get(port, path="/", method="GET", body=None, timeout=5):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    connection.request(method, path, body=body)
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def test_pass_forwards_both_ways_on_one_keep_alive_connection_and_counts_bytes(proxy):
    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=5)
    for size in (10, 2000):
        connection.request("GET", f"/{size}")
        response = connection.getresponse()
        assert (response.status, len(response.read())) == (200, size)
    connection.request("POST", "/", body=b"hello")
    assert connection.getresponse().read() == b"hello"
    assert proxy.bytes_down > 2010 and proxy.bytes_up > 5
    proxy.reset_counters()
    assert (proxy.bytes_down, proxy.bytes_up) == (0, 0)


@pytest.mark.parametrize("mode, status", [("500", 500), ("503", 503), ("portal", 200)])
def test_error_pages_and_the_portal_lack_the_app_header(proxy, mode, status):
    proxy.mode = mode
    answer, headers, body = get(proxy.port, method="POST", body=b"{}")
    assert answer == status
    assert "X-Wuzha-App" not in headers
    if mode == "portal":
        assert body.decode() == "<html>登录 WiFi</html>" and headers["Content-Type"].startswith("text/html")
    proxy.mode = "pass"
    assert get(proxy.port)[1]["X-Wuzha-App"] == "1"


def test_down_closes_at_once(proxy):
    proxy.mode = "down"
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        get(proxy.port)


def test_hang_never_answers_until_the_mode_changes(proxy):
    proxy.mode = "hang"
    with pytest.raises(socket.timeout):
        get(proxy.port, timeout=0.5)
    errors = []

    def waiting():
        try:
            get(proxy.port, timeout=10)
        except (http.client.RemoteDisconnected, ConnectionError) as error:
            errors.append(error)

    thread = threading.Thread(target=waiting)
    thread.start()
    time.sleep(0.3)
    proxy.mode = "pass"  # the hanging connection is closed, not left to time out
    thread.join(timeout=3)
    assert not thread.is_alive() and errors
    assert get(proxy.port)[0] == 200


def test_a_mode_change_closes_keep_alive_connections(proxy):
    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=5)
    connection.request("GET", "/")
    connection.getresponse().read()
    proxy.mode = "503"
    connection.request("GET", "/")  # http.client reconnects once the old socket is found closed
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        connection.getresponse()
    assert get(proxy.port)[0] == 503


def test_rate_and_round_trip_time_slow_the_link(upstream):
    with NetProxy(upstream, rate_bps=800_000, rtt_ms=200) as proxy:
        started = time.monotonic()
        status, _, body = get(proxy.port, "/50000")
        took = time.monotonic() - started
    assert status == 200 and len(body) == 50000
    assert 0.2 + 0.5 <= took < 3  # 50 kB at 100 kB/s, plus the round trip


def test_stop_closes_hanging_connections(upstream):
    proxy = NetProxy(upstream)
    proxy.start()
    proxy.mode = "hang"
    client = socket.create_connection(("127.0.0.1", proxy.port))
    client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.2)
    proxy.stop()
    client.settimeout(2)
    assert client.recv(100) == b""
    with pytest.raises(ValueError):
        proxy.mode = "slow"
