"""A bad network between a phone and the app: a small threaded reverse proxy on 127.0.0.1.

``mode`` says what the network does to each new connection, and can be changed at any time:

- ``pass``: forward bytes both ways, throttled to ``rate_bps`` bits per second in each direction
  (shared by all connections, as one phone's link is) and delayed by ``rtt_ms / 2`` each way;
- ``500`` / ``503``: a proxy's error page with that status, without the app's ``X-Wuzha-App`` header;
- ``portal``: ``200 text/html`` login page of a captive portal, for every request;
- ``hang``: read the request and never answer (the connection closes when the mode changes or on stop);
- ``down``: close every connection as soon as it is accepted.

Changing the mode closes every open connection, as a network change would: keep-alive connections
made under ``pass`` cannot carry on past a switch to ``portal``. Dependency-free: sockets and threads.
"""
from __future__ import annotations

import queue
import socket
import threading
import time

MODES = ("pass", "500", "503", "portal", "hang", "down")
PORTAL_PAGE = "<html>登录 WiFi</html>".encode()
ERROR_PAGES = {
    "500": (b"500 Internal Server Error", b"<html><body><h1>500 Internal Server Error</h1>nginx</body></html>"),
    "503": (b"503 Service Unavailable", b"<html><body><h1>503 Service Unavailable</h1>nginx</body></html>"),
    "portal": (b"200 OK", PORTAL_PAGE),
}
CHUNK = 16 * 1024
MAX_HEAD = 64 * 1024


class _Pacer:
    """One direction of the link: at most ``rate_bps`` bits per second over all connections."""

    def __init__(self, rate_bps: float | None):
        self.rate_bps = rate_bps
        self._free_at = 0.0
        self._lock = threading.Lock()

    def wait(self, size: int) -> None:
        if not self.rate_bps:
            return
        with self._lock:
            start = max(time.monotonic(), self._free_at)
            self._free_at = start + size * 8 / self.rate_bps
            done = self._free_at
        time.sleep(max(0.0, done - time.monotonic()))


class _Connection:
    """A client's connection and, under ``pass``, its upstream one; closed together."""

    def __init__(self, client: socket.socket):
        self.client = client
        self.upstream: socket.socket | None = None
        self.closed = False

    def close(self) -> None:
        self.closed = True
        for sock in (self.client, self.upstream):
            if sock is None:
                continue
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


class NetProxy:
    def __init__(self, upstream_port: int, rate_bps: float | None = None, rtt_ms: float = 0,
                 upstream_host: str = "127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self.rate_bps = rate_bps
        self.rtt_ms = rtt_ms
        self.port: int | None = None
        self.bytes_down = 0
        self.bytes_up = 0
        self._mode = "pass"
        self._lock = threading.Lock()
        self._connections: set[_Connection] = set()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._stopping = threading.Event()
        self._up = _Pacer(rate_bps)
        self._down = _Pacer(rate_bps)

    # -- control ---------------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}: one of {', '.join(MODES)}")
        with self._lock:
            changed = mode != self._mode
            self._mode = mode
        if changed:
            self._close_all()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset_counters(self) -> None:
        with self._lock:
            self.bytes_down = 0
            self.bytes_up = 0

    def start(self) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept, name="netproxy-accept", daemon=True)
        self._acceptor.start()
        return self.port

    def stop(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
        if self._acceptor is not None:
            self._acceptor.join(timeout=5)
        self._close_all()

    def __enter__(self) -> NetProxy:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- plumbing --------------------------------------------------------------------------------

    def _count(self, up: int = 0, down: int = 0) -> None:
        with self._lock:
            self.bytes_up += up
            self.bytes_down += down

    def _close_all(self) -> None:
        with self._lock:
            connections = list(self._connections)
            self._connections.clear()
        for connection in connections:
            connection.close()

    def _forget(self, connection: _Connection) -> None:
        with self._lock:
            self._connections.discard(connection)
        connection.close()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection = _Connection(client)
            with self._lock:
                mode = self._mode
                if mode != "down":
                    self._connections.add(connection)
            if mode == "down":
                connection.close()
                continue
            target = self._forward if mode == "pass" else self._answer
            threading.Thread(target=target, args=(connection, mode), daemon=True).start()

    def _delay(self) -> None:
        if self.rtt_ms:
            time.sleep(self.rtt_ms / 2000)

    def _forward(self, connection: _Connection, _mode: str) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            self._forget(connection)
            return
        upstream.settimeout(None)
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            connection.upstream = upstream
            late = connection.closed  # the mode changed while connecting
        if late:
            connection.close()
            return
        back = threading.Thread(target=self._pipe, args=(connection, upstream, connection.client, False), daemon=True)
        back.start()
        self._pipe(connection, connection.client, upstream, True)
        back.join()
        self._forget(connection)

    def _pipe(self, connection: _Connection, source: socket.socket, sink: socket.socket, up: bool) -> None:
        """Copy one direction; with a delay, a second thread sends each chunk rtt/2 after it arrived,
        so that the link's latency does not slow down reading (a pipe, not a stop-and-wait)."""
        pacer = self._up if up else self._down
        delayed: queue.Queue | None = queue.Queue() if self.rtt_ms else None
        sender = None
        if delayed is not None:
            sender = threading.Thread(target=self._send_delayed, args=(connection, delayed, sink, pacer, up),
                                      daemon=True)
            sender.start()
        try:
            while True:
                data = source.recv(CHUNK)
                if not data:
                    break
                if delayed is not None:
                    delayed.put((time.monotonic() + self.rtt_ms / 2000, data))
                else:
                    self._send(sink, data, pacer, up)
        except OSError:
            pass
        if delayed is not None:
            delayed.put(None)
            sender.join()
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _send_delayed(self, connection, delayed: queue.Queue, sink, pacer: _Pacer, up: bool) -> None:
        while (item := delayed.get()) is not None:
            due, data = item
            time.sleep(max(0.0, due - time.monotonic()))
            try:
                self._send(sink, data, pacer, up)
            except OSError:
                connection.close()
                return

    def _send(self, sink: socket.socket, data: bytes, pacer: _Pacer, up: bool) -> None:
        step = 4096 if pacer.rate_bps else len(data)  # small pieces, so that connections share the link
        for start in range(0, len(data), step):
            piece = data[start:start + step]
            pacer.wait(len(piece))
            sink.sendall(piece)
            self._count(up=len(piece) if up else 0, down=0 if up else len(piece))

    def _answer(self, connection: _Connection, mode: str) -> None:
        """Anything but ``pass``: read one request, then answer it as the mode says (or never)."""
        client = connection.client
        try:
            if self._read_request(client) is None:
                return
            if mode == "hang":
                while client.recv(CHUNK):
                    pass
                return
            status, body = ERROR_PAGES[mode]
            head = (b"HTTP/1.1 " + status + b"\r\nContent-Type: text/html; charset=utf-8\r\n"
                    b"Content-Length: " + str(len(body)).encode() + b"\r\nCache-Control: no-store\r\n"
                    b"Connection: close\r\n\r\n")
            self._delay()
            self._send(client, head + body, self._down, False)
        except OSError:
            pass
        finally:
            self._forget(connection)

    def _read_request(self, client: socket.socket) -> bytes | None:
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            data = client.recv(CHUNK)
            if not data or len(buffer) > MAX_HEAD:
                return None
            self._count(up=len(data))
            buffer += data
        head, _, body = buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip() or 0)
        while len(body) < length:
            data = client.recv(CHUNK)
            if not data:
                return None
            self._count(up=len(data))
            body += data
        self._delay()
        return head
