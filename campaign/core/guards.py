"""Request-level guards: input that no view can store or show is refused before any view runs.

- NUL characters in the path, query string, form fields, file names, headers or JSON: 400
  (PostgreSQL text cannot hold them, and no person types one);
- JSON nested deeper than ``MAX_JSON_DEPTH``: 400, before a parser or a validator recurses;
- ``<int:…>`` in a URL only matches ASCII digits up to the largest id a column holds, so
  ``/households/2147483648`` is 404 instead of a database overflow.
"""
from __future__ import annotations

import json

from flask import Flask, abort, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from .inputs import MAX_ID

MAX_JSON_DEPTH = 32
NUL = "\x00"


class IdConverter(IntegerConverter):
    """The ``int`` URL converter, limited to ids that can exist."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)


def _json_problem(value) -> str | None:
    """Walk parsed JSON without recursion: too deep, or a NUL in a key or a string."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return _("The request contains a NUL character, which no text may hold.")
        elif isinstance(item, list | dict):
            if depth >= MAX_JSON_DEPTH:
                return _("The JSON is nested more than %(depth)s levels deep.", depth=MAX_JSON_DEPTH)
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None


def _json_body_problem() -> str | None:
    data = request.get_data(cache=True)
    if not data:
        return None
    try:
        body = json.loads(data)
    except RecursionError:
        return _("The JSON is nested more than %(depth)s levels deep.", depth=MAX_JSON_DEPTH)
    except ValueError:
        return None  # not JSON at all: the view says what it expected
    return _json_problem(body)


def _has_nul(pairs) -> bool:
    return any(NUL in key or NUL in value for key, value in pairs)


def refuse_unusable_input():
    nul = _("The request contains a NUL character, which no text may hold.")
    if NUL in request.path or _has_nul(request.args.items(multi=True)) or _has_nul(request.headers.items()):
        abort(400, description=nul)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.is_json:
            problem = _json_body_problem()
            if problem:
                abort(400, description=problem)
        elif _has_nul(request.form.items(multi=True)) or any(
                NUL in (upload.filename or "") for upload in request.files.values()):
            abort(400, description=nul)
    return None


def register_guards(app: Flask) -> None:
    """Call before the blueprints are registered: their rules take the converter when added."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_unusable_input)
