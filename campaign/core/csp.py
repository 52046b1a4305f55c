"""The Content-Security-Policy: scripts run only from the app's own files or with this response's nonce.

Inline event handlers (``onclick=…``) and any script an attacker manages to inject never run, so a
missed escape is a display bug rather than stored XSS. Templates write ``nonce="{{ csp_nonce() }}"``
on each inline ``<script>``; behaviour that used to be inline lives in ``static/js/app.js``.
"""
from __future__ import annotations

import secrets

from flask import g

HSTS = "max-age=31536000; includeSubDomains"


def csp_nonce() -> str:
    """A fresh random nonce for this request, the same for every script of the response."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def policy(*, frame_ancestors: str = "'none'") -> str:
    """The policy for this response. No 'unsafe-inline' nor 'unsafe-eval' for scripts: none of the vendored
    libraries (Bootstrap, htmx without hx-on, Leaflet and its plugins) needs them. Styles keep 'unsafe-inline'
    because Leaflet and Folium position the map with style attributes and <style> blocks, and a style cannot
    run script. Images may come from a tile provider."""
    return (f"default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; "
            f"script-src 'self' 'nonce-{csp_nonce()}'; object-src 'none'; frame-ancestors {frame_ancestors}; "
            "base-uri 'self'")
