"""The whole app on a real port, with the session's database and Redis."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestServer

from server.app import create_app
from server.settings import Settings

SECRET = "test-secret-key-for-rejoin-tokens"


def live_settings(database_url: str, redis_url: str | None, redis_prefix: str) -> Settings:
    return Settings(database_url=database_url, redis_url=redis_url, redis_prefix=redis_prefix,
                    secret_key=SECRET, migrate_on_start=False, batch_window_ms=2)


@pytest.fixture
async def live_server(database_url, redis_url, redis_prefix, redis):
    server = TestServer(create_app(live_settings(database_url, redis_url, redis_prefix)),
                        host="127.0.0.1")
    await server.start_server()
    yield server
    import asyncio
    import sys
    try:
        await asyncio.wait_for(asyncio.shield(server.close()), 5)
    except TimeoutError:
        for t in asyncio.all_tasks():
            t.print_stack(file=sys.stderr)
        raise


@pytest.fixture
def live_url(live_server) -> str:
    return str(live_server.make_url("/")).rstrip("/")
