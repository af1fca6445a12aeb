"""The operators' endpoints: GET /healthz (are the database and Redis reachable), GET /readyz
(may a load balancer send this worker traffic: server/readiness.py), GET /metrics (this
worker's Prometheus registry: server/metrics.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import cast

from aiohttp import web
from sqlalchemy import text

from server import app_keys, readiness

CHECK_TIMEOUT_S = 2.0


async def _check_database(app: web.Application) -> str:
    async with app[app_keys.DATABASE].engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    return "ok"


async def _check_redis(app: web.Application) -> str:
    await cast("Awaitable[bool]", app[app_keys.REDIS].ping())
    return "ok"


async def _run(check: Callable[[web.Application], Awaitable[str]], app: web.Application) -> str:
    try:
        return await asyncio.wait_for(check(app), CHECK_TIMEOUT_S)
    except Exception as exc:  # any failure is reported, none crashes the probe
        return f"error: {type(exc).__name__}"


async def healthz(request: web.Request) -> web.Response:
    app = request.app
    database, redis = await asyncio.gather(_run(_check_database, app), _run(_check_redis, app))
    body = {"database": database, "redis": redis}
    status = 200 if database == "ok" and redis == "ok" else 503
    return web.json_response(body, status=status)


async def readyz(request: web.Request) -> web.Response:
    app = request.app
    response = await readiness.check(app[app_keys.READINESS], lambda: app[app_keys.DATABASE])
    metrics = app.get(app_keys.METRICS)
    if metrics is not None:
        metrics.ready.set(1 if response.status == 200 else 0)
    return response


async def metrics(request: web.Request) -> web.Response:
    body, content_type = request.app[app_keys.METRICS].render()
    # Set as a header: aiohttp's content_type= would drop the format's version parameter.
    return web.Response(body=body, headers={"Content-Type": content_type})


ROUTES = [
    web.get("/healthz", healthz),
    web.get("/readyz", readyz),
    web.get("/metrics", metrics),
]
