"""The async engine and session factory."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from persistence.urls import to_asyncpg_url


@dataclass
class Database:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    async def dispose(self) -> None:
        await self.engine.dispose()


def create_database(database_url: str, *, pool_size: int = 10, ping_on_checkout: bool = True,
                    session_settings: Mapping[str, str] | None = None) -> Database:
    """`ping_on_checkout=False` is for callers that survive a failed transaction by retrying
    it (the answer writer): a connection is then checked out without the ping's three round
    trips (BEGIN, an empty query, ROLLBACK), and only one already seen closed is replaced.
    `session_settings` are PostgreSQL settings every connection of the pool starts with."""
    engine = create_async_engine(
        to_asyncpg_url(database_url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=ping_on_checkout,
        # Timestamps in the seed's schema are TIMESTAMP without time zone and hold UTC.
        connect_args={"server_settings": {"timezone": "UTC", "application_name": "mathrally",
                                          **(session_settings or {})}},
    )
    if not ping_on_checkout:
        event.listen(engine.sync_engine.pool, "checkout", _replace_if_closed)
    return Database(engine=engine, sessions=async_sessionmaker(engine, expire_on_commit=False))


def _replace_if_closed(dbapi_connection, _record, _proxy) -> None:
    # asyncpg marks its connection closed as soon as the socket is (a restarted server, a
    # terminated backend, a statement that broke the connection); raising this makes the
    # pool discard it and check out a fresh one.
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the connection was closed")
