"""The JSON API under /api/v1, described by /api/v1/openapi.json."""

from . import warnings  # noqa: E402,F401  (its routes join the api blueprint)
