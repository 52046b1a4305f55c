"""The phone page as an installable app that opens fast on a slow network (issue 14).

- ``views.py``: the web app manifest and /favicon.ico;
- ``icons.py``: the PNG and ICO icons, drawn from ``static/img/favicon.svg`` (``python -m campaign.pwa.icons``);
- ``static_files.py``: static files through WhiteNoise, precompressed, with content-hash URLs cached for a year;
- ``compression.py``: pages and JSON compressed on the fly with Flask-Compress.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from .compression import init_compression
    from .static_files import init_static_files
    from .views import bp

    app.register_blueprint(bp)
    init_static_files(app)
    init_compression(app)
