"""What a worker reports about itself: its metrics registry (with the database pool's
checked-out connections read at scrape time) and its readiness, both kept under app keys for
GET /metrics and GET /readyz (server/api_health.py)."""

from __future__ import annotations

import asyncio

from aiohttp import web
from sqlalchemy.pool import QueuePool

from server import app_keys
from server.metrics import Metrics
from server.readiness import Readiness, migration_heads


async def _mark_started(app: web.Application) -> None:
    state = app[app_keys.READINESS]
    state.expected_heads = await asyncio.to_thread(migration_heads)
    state.started = True


async def _mark_stopping(app: web.Application) -> None:
    app[app_keys.READINESS].stopping = True


def setup_observability(app: web.Application) -> None:
    metrics = Metrics()
    app[app_keys.METRICS] = metrics

    def checked_out() -> int:
        database = app.get(app_keys.DATABASE)
        pool = database.engine.pool if database is not None else None
        return pool.checkedout() if isinstance(pool, QueuePool) else 0

    metrics.watch_database_pool(checked_out)
    app[app_keys.READINESS] = Readiness()
    # aiohttp runs every cleanup context before the on_startup handlers added after it,
    # so this fires once all resources are up; on_shutdown fires before any is torn down.
    app.on_startup.append(_mark_started)
    app.on_shutdown.append(_mark_stopping)
