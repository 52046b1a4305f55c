"""Helpers for tests that log visits: payloads as the phone makes them."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


def visit(household, round_id: int, *, outcome: str = "reached", minutes: float = 0, people: int | None = None,
          installs: int = 0, gps: tuple | None = "home", accuracy: float = 10.0, **extra) -> dict:
    """A visit payload; ``minutes`` after a fixed base time, with a fix at the door unless told otherwise."""
    data = {
        "uuid": str(uuid.uuid4()), "round_id": round_id, "household_id": household.id, "outcome": outcome,
        "people_briefed": (2 if outcome == "reached" else 0) if people is None else people,
        "app_installs": installs if outcome == "reached" else 0,
        "visited_at": (BASE + timedelta(minutes=minutes)).isoformat(),
    }
    if gps == "home":
        data["gps"] = {"lat": household.lat, "lon": household.lon, "accuracy": accuracy}
    elif gps is not None:
        data["gps"] = {"lat": gps[0], "lon": gps[1], "accuracy": accuracy}
    data.update(extra)
    return data
