"""Static files served compressed, and cached for a year when their URL names their content.

**WhiteNoise** (``whitenoise``) serves ``/static/``. It wraps ``app.wsgi_app``, so the dev server, gunicorn
and ``app.test_client()`` all go through it, and a file is answered before Flask runs: no session, no user,
no database for a stylesheet. It handles what hand-written serving gets wrong: ``HEAD``, ``Range``,
``If-None-Match`` (304), and picking the precompressed copy the request accepts (Brotli, else gzip, else
the file itself), with ``Vary: Accept-Encoding``. A client that did not send ``Accept-Encoding`` gets the
plain bytes.

**Precompressed copies** are made once at the highest settings (Brotli 11, gzip 9: about 25 % smaller than
what a server can afford per request), with WhiteNoise's own compressor. They live outside the source tree,
in ``<instance>/static-compressed/``, named by the SHA-256 of the file they compress, so an edited file can
never be answered with the compressed bytes of its old content. ``make setup`` makes them
(``python -m campaign.pwa.static_files``); the app makes those still missing when it starts (an edited
``app.css``: milliseconds), and serves the plain file if the instance folder cannot be written.

**Versioned URLs.** ``url_for('static', filename=…)`` adds ``v=<the first 10 hex digits of the file's
SHA-256>`` (hashed once per file and process, again only if the file changes). A request whose ``v`` is the
served file's own hash gets ``Cache-Control: public, max-age=31536000, immutable``: the browser, and the
service worker's ``cache.addAll`` going through the HTTP cache, never ask again. Any other request (no
``v``, or a stale ``v`` from a page cached before a deploy) gets ``no-cache``: stored, but revalidated by
its ETag, so an old URL is never pinned to new bytes for a year. A query string, rather than a hash in the
file name, keeps every file at its own path: no build step rewriting names, and relative URLs inside
stylesheets (Leaflet's images) still resolve.
"""
from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from urllib.parse import parse_qs
from wsgiref.headers import Headers

from whitenoise import WhiteNoise
from whitenoise.compress import Compressor
from whitenoise.responders import IsDirectoryError, MissingFileError, StaticFile
from whitenoise.string_utils import decode_path_info

log = logging.getLogger(__name__)

VERSION_LENGTH = 10
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Every answer of the app carries it (issue 14 contract): the service worker trusts only such answers.
APP_HEADER = ("X-Wuzha-App", "1")
ROOT = Path(__file__).resolve().parent.parent.parent
ENCODINGS = {"br": ".br", "gzip": ".gz"}

_digests: dict[tuple[str, int, int], str] = {}
_served: dict[tuple[str, str, str, str], StaticFile] = {}  # per process: every test builds an app of its own


def digest(path: str | os.PathLike) -> str | None:
    """The SHA-256 (hex) of a regular file, or None. Read once per process, again if its size or time changes."""
    try:
        stat = os.stat(path)
    except (OSError, ValueError):
        return None
    if not os.path.isfile(path):
        return None
    key = (os.fspath(path), stat.st_mtime_ns, stat.st_size)
    found = _digests.get(key)
    if found is None:
        found = _digests[key] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return found


def version(static_folder: str, filename: str) -> str | None:
    """What ``v`` a URL of this static file carries; None for a file that does not exist."""
    root = Path(static_folder).resolve()
    path = (root / filename).resolve()
    if root not in path.parents:
        return None
    found = digest(path)
    return found[:VERSION_LENGTH] if found else None


class CompressedStore:
    """Brotli and gzip copies of static files, named by the SHA-256 of the original."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.compressor = Compressor(quiet=True)

    def variants(self, sha: str) -> dict[str, str]:
        return {encoding: str(self.folder / f"{sha}{suffix}") for encoding, suffix in ENCODINGS.items()}

    def fill(self, static_folder: str | os.PathLike) -> int:
        """Compress every file of ``static_folder`` that has no copies yet; returns how many were compressed.
        A file compression does not shrink by 5 % gets an empty ``.plain`` mark instead, not to be tried again."""
        made = 0
        for directory, _dirs, files in os.walk(static_folder):
            for name in files:
                if not self.compressor.should_compress(name):
                    continue
                path = os.path.join(directory, name)
                sha = digest(path)
                if sha is None or any((self.folder / f"{sha}{s}").exists() for s in (".br", ".gz", ".plain")):
                    continue
                self.folder.mkdir(parents=True, exist_ok=True)
                self._compress(Path(path).read_bytes(), sha)
                made += 1
        return made

    def _compress(self, data: bytes, sha: str) -> None:
        written = False
        for suffix, compress in ((".br", self.compressor.compress_brotli), (".gz", self.compressor.compress_gzip)):
            packed = compress(data)
            if data and len(packed) <= 0.95 * len(data):
                self._write(f"{sha}{suffix}", packed)
                written = True
        if not written:
            self._write(f"{sha}.plain", b"")

    def _write(self, name: str, data: bytes) -> None:
        """Written aside and renamed: another process starting at the same time never sees half a file."""
        temporary = self.folder / f".{name}.{os.getpid()}"
        temporary.write_bytes(data)
        os.replace(temporary, self.folder / name)


class StaticFiles(WhiteNoise):
    """WhiteNoise with content-hash versions, compressed copies from a ``CompressedStore`` and the app's
    headers. ``serve`` decides per request between immutable and revalidated caching."""

    def __init__(self, application, *, root: str, prefix: str, store: CompressedStore, autorefresh: bool = False):
        self.store = store
        self.versions: dict[str, str] = {}
        super().__init__(application, autorefresh=autorefresh, max_age=None, allow_all_origins=False)
        self.add_files(root, prefix)

    def get_static_file(self, path, url, stat_cache=None):
        # As WhiteNoise's own, but the ETag and version come from the content, and the compressed copies
        # from the store (stat_cache only knows the static folder, so the copies are looked up afresh).
        if os.path.isdir(path):
            raise IsDirectoryError(path)
        sha = digest(path)
        if sha is None:
            raise MissingFileError(path)
        self.versions[url] = sha[:VERSION_LENGTH]
        key = (os.fspath(path), url, sha, os.fspath(self.store.folder))
        if key not in _served:
            headers = Headers([])
            self.add_mime_headers(headers, path, url)
            headers["Cache-Control"] = REVALIDATE
            headers["ETag"] = f'"{sha[:20]}"'
            headers["X-Content-Type-Options"] = "nosniff"
            headers[APP_HEADER[0]] = APP_HEADER[1]
            _served[key] = StaticFile(path, headers.items(), encodings=self.store.variants(sha))
        return _served[key]

    def serve(self, static_file, environ, start_response):
        url = decode_path_info(environ.get("PATH_INFO", ""))
        asked = parse_qs(environ.get("QUERY_STRING", "")).get("v")
        if not asked or asked[0] != self.versions.get(url):
            return WhiteNoise.serve(static_file, environ, start_response)

        def immutable(status, headers, exc_info=None):
            headers = [(name, IMMUTABLE if name.lower() == "cache-control" else value) for name, value in headers]
            return start_response(status, headers, exc_info)

        return WhiteNoise.serve(static_file, environ, immutable)


def init_static_files(app) -> None:
    """Serve ``app.static_folder`` through WhiteNoise and version every ``url_for('static', …)``."""
    store = CompressedStore(Path(app.instance_path) / "static-compressed")
    try:
        store.fill(app.static_folder)
    except OSError as error:  # a read-only instance folder: the plain files are served
        log.warning("static files not compressed: %s", error)
    app.wsgi_app = StaticFiles(app.wsgi_app, root=app.static_folder, prefix=app.static_url_path, store=store,
                               autorefresh=app.debug)

    @app.url_defaults
    def add_version(endpoint, values):
        if endpoint == "static" and "v" not in values and "filename" in values:
            found = version(app.static_folder, values["filename"])
            if found:
                values["v"] = found


if __name__ == "__main__":
    compressed = CompressedStore(ROOT / "instance" / "static-compressed").fill(ROOT / "static")
    print(f"static files compressed: {compressed} new")
