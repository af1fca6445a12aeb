"""Apply the versioned schema (Alembic revisions in sql/migrations) to a database."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.config import Config

from sql import SQL_DIR


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SQL_DIR / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migrate(database_url: str, revision: str = "head") -> None:
    """Upgrade to `revision`. Safe to run again, and from several processes at once."""
    command.upgrade(alembic_config(database_url), revision)


async def migrate_async(database_url: str, revision: str = "head") -> None:
    # env.py runs its own event loop, so it needs a thread of its own when called from async code.
    await asyncio.to_thread(migrate, database_url, revision)
