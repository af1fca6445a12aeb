"""The async engine and session factory."""

from __future__ import annotations

from dataclasses import dataclass

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


def create_database(database_url: str, *, pool_size: int = 10) -> Database:
    engine = create_async_engine(
        to_asyncpg_url(database_url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        # Timestamps in the seed's schema are TIMESTAMP without time zone and hold UTC.
        connect_args={"server_settings": {"timezone": "UTC", "application_name": "mathrally"}},
    )
    return Database(engine=engine, sessions=async_sessionmaker(engine, expire_on_commit=False))
