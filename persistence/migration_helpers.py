"""Helpers for Alembic revisions that keep their DDL in readable .sql files under sql/."""

from __future__ import annotations

from collections.abc import Iterable

from alembic import op
from sqlalchemy.util import await_only

from sql import read_sql


def run_sql_file(relative_path: str) -> None:
    """Run a whole .sql file (many statements, plpgsql bodies) in the migration's transaction.

    asyncpg runs a parameterless script through the simple-query protocol, which accepts
    several statements at once; SQLAlchemy's execute would prepare it and refuse.
    """
    connection = op.get_bind().connection.driver_connection
    assert connection is not None, "migrations run on an open connection"
    await_only(connection.execute(read_sql(relative_path)))


def drop_tables(names: Iterable[str]) -> None:
    for name in names:
        op.execute(f'DROP TABLE IF EXISTS "{name}" CASCADE')
