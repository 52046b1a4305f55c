"""Loading many rows fast: COPY on PostgreSQL, executemany on SQLite. For demo and benchmark data,
which is generated already checked; user input always goes through the services."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from campaign.extensions import db


def bulk_insert(table: sa.Table, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        connection.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])
