"""Shared pieces of the benchmarks: databases to run on, timing, and printing."""
from __future__ import annotations

import itertools
import statistics
import time
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
import sqlalchemy as sa

from campaign import create_app
from campaign.extensions import db

OUT = Path(__file__).parent / "out"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def postgres_reachable() -> bool:
    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


def fresh_database(kind: str, name: str) -> str:
    """An empty database of this kind (sqlite or postgres) with the schema migrated; returns its URL."""
    if kind == "sqlite":
        OUT.mkdir(exist_ok=True)
        path = OUT / f"{name}.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "bench_{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "bench_{name}"'))
        engine.dispose()
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/bench_{name}"
    app = make_app(url)
    with app.app_context():
        flask_migrate.upgrade()
    return url


def migrated(url: str) -> str:
    """A database built by an earlier run, brought up to the current schema (new columns and indexes);
    returns its URL."""
    with make_app(url).app_context():
        flask_migrate.upgrade()
    return url


def make_app(url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})


@contextmanager
def timed():
    result = {}
    started = time.perf_counter()
    yield result
    result["seconds"] = time.perf_counter() - started


def timings(fn, runs: int) -> list[float]:
    """The times of ``runs`` calls, in milliseconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def sample(fn, runs: int) -> dict[str, float]:
    """Median and worst of ``runs`` calls, in milliseconds, after one warm-up call."""
    times = timings(fn, runs)
    return {"median_ms": statistics.median(times), "max_ms": max(times)}


def insert_rows(table, rows, batch: int = 20_000) -> None:
    """Core inserts of ``rows`` (an iterable of dicts) in batches, as an operator loads in bulk."""
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, batch)):
        db.session.execute(table.insert(), chunk)


def row(label: str, value: str, target: str = "", ok: bool | None = None) -> None:
    verdict = "" if ok is None else ("  ok" if ok else "  MISSED")
    print(f"  {label:<46} {value:>14}   {target}{verdict}", flush=True)


def vacuum(url: str) -> None:
    """Fresh statistics after a bulk load, as an operator would run."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text("ANALYZE"))
    engine.dispose()


__all__ = ["OUT", "db", "fresh_database", "make_app", "postgres_reachable", "row", "sample", "timed", "vacuum"]
