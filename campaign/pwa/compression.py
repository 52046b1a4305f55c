"""Pages and JSON compressed on the fly with **Flask-Compress** (static files have precompressed copies:
``static_files.py``).

Flask-Compress picks the encoding from ``Accept-Encoding`` (quality values included; none asked, none
given), adds ``Vary: Accept-Encoding``, keeps ETags apart per encoding and answers conditional requests.
Only text types are compressed (HTML, JSON, JavaScript, CSS, SVG, the manifest): spreadsheets, PDFs, ZIPs
and images are compressed already, and streamed responses (exports, downloads sent from files) are left to
stream. Brotli at level 4 and gzip at 6 cost about a millisecond for a page: level 11 is for files compressed
once.

BREACH: a compressed page that holds a secret (the CSRF token) and echoes what a request put in it (a
search term) leaks the secret, byte by byte, to someone who can both make the victim's browser send many
requests and see their sizes on the wire. Such requests come from another site, so a request the browser
marks ``Sec-Fetch-Site: cross-site`` or ``same-site`` is answered uncompressed; the app's own pages and the
phone's fetches (``same-origin``) and typed-in addresses (``none``) are compressed.
"""
from __future__ import annotations

from flask import Flask, request
from flask_compress import Compress

COMPRESSED_TYPES = ["text/html", "text/css", "text/plain", "text/javascript", "application/javascript",
                    "application/json", "application/manifest+json", "application/geo+json", "image/svg+xml"]
UNTRUSTED_SITES = {"cross-site", "same-site"}


def init_compression(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])  # what the static copies have too
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)
    app.config.setdefault("COMPRESS_LEVEL", 6)
    app.config.setdefault("COMPRESS_STREAMS", False)
    app.config.setdefault("COMPRESS_REGISTER", False)  # registered below, behind the BREACH check
    compress = Compress(app)  # one per app: it keeps the app's settings on itself

    @app.after_request
    def compressed(response):
        if request.headers.get("Sec-Fetch-Site", "").lower() in UNTRUSTED_SITES:
            return response
        return compress.after_request(response)
