"""Pages that show personal data must not stay in a browser's or a proxy's cache."""
from __future__ import annotations

from functools import wraps

from flask import make_response


def no_store(view):
    """Answer with ``Cache-Control: no-store``, whatever the view returns (page, redirect or error)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
        return response

    return wrapped
