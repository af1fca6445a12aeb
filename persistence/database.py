"""The async engine and session factory."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
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


@dataclass(frozen=True)
class Timeouts:
    """How long any database call of a serving process may wait, so a PostgreSQL that is
    slow, stopped or unreachable without closing connections (replies lost) costs a bounded
    wait and a clear error, never a hang.

    connect_ms    opening a connection (asyncpg `timeout`)
    statement_ms  PostgreSQL cancels a statement running longer (`statement_timeout`); the
                  client gives up one second later (asyncpg `command_timeout`) when no reply
                  comes at all
    pool_ms       waiting for a free connection of the pool (SQLAlchemy `pool_timeout`)
    PostgreSQL also ends a session left idle inside a transaction for twice `statement_ms`
    (`idle_in_transaction_session_timeout`): a client that vanished mid-transaction does not
    keep its row locks.
    """

    connect_ms: int = 2000
    statement_ms: int = 3000
    pool_ms: int = 3000

    @property
    def command_s(self) -> float:
        return (self.statement_ms + 1000) / 1000

    def server_settings(self) -> dict[str, str]:
        return {"statement_timeout": str(self.statement_ms),
                "idle_in_transaction_session_timeout": str(2 * self.statement_ms)}


def create_database(database_url: str, *, pool_size: int = 10, max_overflow: int | None = None,
                    ping_on_checkout: bool = True,
                    session_settings: Mapping[str, str] | None = None,
                    timeouts: Timeouts | None = None) -> Database:
    """`ping_on_checkout=False` checks a connection out without the ping's three round trips
    (BEGIN, an empty query, ROLLBACK) and replaces only one already seen closed: for the
    pools on the live path, whose callers answer a failed transaction with an error to resend
    (the answer writer retries by itself). The other pools keep the ping: a report or a
    command-line job would rather wait for it than fail once after a restart.
    `session_settings` are PostgreSQL settings every connection of the pool starts with.
    `timeouts` bound every wait (a serving process); None leaves them unbounded, for the
    command-line jobs (migrations, retention, backups) whose statements may run long.
    `max_overflow` connections may be opened past `pool_size` when all are busy (as many again
    by default; 0 for a pool that must stay within its size)."""
    server_settings = {"timezone": "UTC", "application_name": "mathrally"}
    connect_args: dict[str, object] = {}
    pool_timeout = 30.0
    if timeouts is not None:
        server_settings.update(timeouts.server_settings())
        connect_args.update(timeout=timeouts.connect_ms / 1000, command_timeout=timeouts.command_s)
        pool_timeout = timeouts.pool_ms / 1000
    server_settings.update(session_settings or {})
    engine = create_async_engine(
        to_asyncpg_url(database_url),
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        pool_pre_ping=ping_on_checkout,
        pool_timeout=pool_timeout,
        # Timestamps in the seed's schema are TIMESTAMP without time zone and hold UTC.
        connect_args={"server_settings": server_settings, **connect_args},
    )
    if not ping_on_checkout:
        event.listen(engine.sync_engine.pool, "checkout", _replace_if_closed)
    return Database(engine=engine, sessions=async_sessionmaker(engine, expire_on_commit=False))


def _replace_if_closed(dbapi_connection: Any, _record: object, _proxy: object) -> None:
    # asyncpg marks its connection closed as soon as the socket is (a restarted server, a
    # terminated backend, a statement that broke the connection); raising this makes the
    # pool discard it and check out a fresh one.
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the connection was closed")


async def asyncpg_connection(connection: AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under a checked-out SQLAlchemy one, for statements sent as they
    are written (array parameters, one fenced statement); SQLAlchemy types it as Any."""
    raw = await connection.get_raw_connection()
    return cast(asyncpg.Connection, raw.driver_connection)
