"""Copy a whole database into an empty one (SQLite → PostgreSQL when a school grows into a district)."""

from __future__ import annotations

from sqlalchemy import Engine, func, select, text
from sqlmodel import SQLModel

import storage.models  # noqa: F401 - registers the tables on SQLModel.metadata
from storage.db import upgrade
from storage.errors import ConfigurationError

#: Moves a serial column's sequence past the copied ids (a column without one: NULL, nothing done).
_RESET = text("SELECT setval(pg_get_serial_sequence(:table, :column), :next, false)")

#: Rows read and written per statement: bounded memory whatever the size of the school.
BATCH = 1_000


def copy_database(source: Engine, target: Engine) -> dict[str, int]:
    """Migrate `target` to the current schema and copy every row of `source` into it, tables in
    foreign-key order, in one transaction; `target` must hold no rows. Returns rows per table."""
    upgrade(target)
    tables = SQLModel.metadata.sorted_tables
    copied: dict[str, int] = {}
    with source.connect() as reading, target.begin() as writing:
        for table in tables:
            if writing.execute(select(func.count()).select_from(table)).scalar_one():
                raise ConfigurationError(f"the target database already holds {table.name} rows")
        for table in tables:
            copied[table.name] = 0
            result = reading.execution_options(yield_per=BATCH).execute(select(table))
            for rows in result.partitions(BATCH):
                writing.execute(table.insert(), [dict(row._mapping) for row in rows])
                copied[table.name] += len(rows)
        if target.dialect.name == "postgresql":  # ids were copied: new rows continue after them
            for table in tables:
                for column in table.primary_key.columns:
                    if column.type.python_type is int:
                        highest = writing.execute(select(func.max(column))).scalar_one()
                        reset = {"table": table.name, "column": column.name, "next": (highest or 0) + 1}
                        writing.execute(_RESET, reset)
    return copied
