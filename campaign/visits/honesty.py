"""Signals that a visit may not have happened as logged: a fix far from the door, no fix at all,
or doors logged faster than anyone can walk between them. A coarse fix (a phone indoors, on cell
towers only) is judged by its whole accuracy circle, and never by the speed between two doors."""
from __future__ import annotations

import math
from datetime import datetime

from .models import GeoCheck

GREEN_M = 100
AMBER_M = 300
# A fix whose accuracy radius is wider than this cannot tell green from amber.
COARSE_M = 100
# Two doors cannot honestly be logged closer together than this, nor faster than a brisk walk.
MIN_SECONDS_BETWEEN_DOORS = 20
MAX_WALK_SPEED_MS = 2.0
MIN_DISTANCE_FOR_SPEED_M = 50


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6_371_000
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


Point = tuple[float, float]


def is_coarse(accuracy: float | None) -> bool:
    """Whether a fix is too coarse to judge by its centre (an unknown accuracy is taken at its word)."""
    return accuracy is not None and accuracy > COARSE_M


def geo_check(fix: Point | None, home: tuple[float | None, float | None],
              accuracy: float | None = None) -> tuple[GeoCheck, float | None]:
    """The class of a fix against the household's location, and the distance between their centres."""
    if fix is None:
        return GeoCheck.GREY, None
    if home[0] is None or home[1] is None:
        return GeoCheck.UNKNOWN, None
    metres = distance_m(fix[0], fix[1], home[0], home[1])
    if is_coarse(accuracy):  # judged by the whole circle: red only if all of it is beyond 300 m
        if metres - accuracy > AMBER_M:
            return GeoCheck.RED, metres
        if metres + accuracy <= AMBER_M:
            return GeoCheck.AMBER, metres
        return GeoCheck.COARSE, metres
    if metres <= GREEN_M:
        return GeoCheck.GREEN, metres
    if metres <= AMBER_M:
        return GeoCheck.AMBER, metres
    return GeoCheck.RED, metres


def too_fast(a_time: datetime, a_fix: tuple[float, float] | None,
             b_time: datetime, b_fix: tuple[float, float] | None) -> bool:
    """Whether two visits to different doors are closer in time than walking between them allows.
    Pass a coarse fix as None: it says nothing about the distance walked."""
    seconds = abs((b_time - a_time).total_seconds())
    if seconds < MIN_SECONDS_BETWEEN_DOORS:
        return True
    if a_fix and b_fix:
        metres = distance_m(*a_fix, *b_fix)
        return metres > MIN_DISTANCE_FOR_SPEED_M and metres / seconds > MAX_WALK_SPEED_MS
    return False
