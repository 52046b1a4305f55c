"""Loading many rows fast: COPY on PostgreSQL, executemany on SQLite. For demo and benchmark data,
which is generated already checked; user input always goes through the services."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from campaign.core.crypto import Encrypted
from campaign.extensions import db


def bulk_insert(table: sa.Table, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # COPY bypasses column types: encrypted columns are sealed here, as an INSERT would seal them.
        sealed = [(i, table.c[name].type) for i, name in enumerate(columns)
                  if isinstance(table.c[name].type, Encrypted)]
        cursor = connection.connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                if sealed:
                    row = list(row)
                    for i, kind in sealed:
                        row[i] = kind.process_bind_param(row[i], connection.dialect)
                copy.write_row(row)
    else:
        connection.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])
