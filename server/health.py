"""GET /healthz: is the database reachable, is Redis reachable."""

from __future__ import annotations

import asyncio

from aiohttp import web
from sqlalchemy import text

from server import app_keys

CHECK_TIMEOUT_S = 2.0


async def _check_database(app: web.Application) -> str:
    async with app[app_keys.DATABASE].engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    return "ok"


async def _check_redis(app: web.Application) -> str:
    await app[app_keys.REDIS].ping()
    return "ok"


async def _run(check, app: web.Application) -> str:
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


def setup_health(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
