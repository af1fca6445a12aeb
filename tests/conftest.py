"""Fixtures every test folder shares: a migrated database and a Redis, real when available."""

from __future__ import annotations

import pytest

from persistence.database import Database, create_database
from persistence.migrations import migrate_async
from tests.support import databases, services


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    return services.postgres_server_url()


@pytest.fixture(scope="session")
async def database_url(postgres_server_url: str):
    """A fresh database for this test session, migrated to head, dropped afterwards."""
    name = services.unique_name("mathrally_test")
    url = await databases.create_database(postgres_server_url, name)
    await migrate_async(url)
    yield url
    await databases.drop_database(postgres_server_url, name)


@pytest.fixture(scope="session")
async def db(database_url: str):
    database = create_database(database_url, pool_size=8)
    yield database
    await database.dispose()


@pytest.fixture
async def clean_db(database_url: str, db: Database) -> Database:
    """The session database with every table emptied first, for tests that count rows."""
    await databases.truncate_all(database_url)
    return db


@pytest.fixture(scope="session")
def redis_url() -> str | None:
    return services.redis_url()


@pytest.fixture(scope="session")
def redis_prefix() -> str:
    return services.unique_name("mathrally_test")


@pytest.fixture
async def redis(redis_url: str | None, redis_prefix: str):
    """A Redis client; keys under this session's prefix are deleted after each test."""
    from persistence.redis_client import create_redis, delete_prefix

    client = create_redis(redis_url)
    yield client
    await delete_prefix(client, redis_prefix)
    await client.aclose()


@pytest.fixture
async def shared_redis_url(redis_url: str | None):
    """A Redis several processes can share: the test Redis, or with TEST_REDIS_URL=fake a
    private redis-server."""
    if redis_url:
        yield redis_url
        return
    from tests.support.workers import private_redis

    async with private_redis() as url:
        yield url
