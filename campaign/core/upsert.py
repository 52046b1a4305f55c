"""INSERT … ON CONFLICT for the databases we run on (SQLite and PostgreSQL)."""
from __future__ import annotations

from campaign.extensions import db


def dialect_insert(table):
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"
