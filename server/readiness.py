"""GET /readyz: may a load balancer send this worker traffic?

Ready means: every cleanup context has started, the database's schema is at the migrations'
head, and the worker is not shutting down. /healthz answers a different question (are the
database and Redis reachable) and keeps its own contract.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import text

CHECK_TIMEOUT_S = 2.0


@dataclass
class Readiness:
    started: bool = False
    stopping: bool = False
    # The migration heads this code expects, read from sql/migrations at startup.
    expected_heads: frozenset[str] = frozenset()


def _migration_heads() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    from persistence.migrations import alembic_config

    return frozenset(ScriptDirectory.from_config(alembic_config("postgresql://")).get_heads())


async def _applied_heads(app: web.Application) -> frozenset[str]:
    from server import app_keys  # app_keys imports this module

    async with app[app_keys.DATABASE].engine.connect() as conn:
        rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
        return frozenset(row[0] for row in rows)


def _not_ready(reason: str, message: str) -> web.Response:
    return web.json_response({"ready": False, "reason": reason, "message": message}, status=503)


async def readyz(request: web.Request) -> web.Response:
    from server import app_keys

    app = request.app
    state = app[app_keys.READINESS]
    metrics = app.get(app_keys.METRICS)
    response = await _check(app, state)
    if metrics is not None:
        metrics.ready.set(1 if response.status == 200 else 0)
    return response


async def _check(app: web.Application, state: Readiness) -> web.Response:
    if state.stopping:
        return _not_ready("shutting_down", "this worker is shutting down")
    if not state.started:
        return _not_ready("starting", "this worker is still starting")
    try:
        applied = await asyncio.wait_for(_applied_heads(app), CHECK_TIMEOUT_S)
    except Exception as exc:  # unreachable, or no alembic_version table: not ready either way
        return _not_ready("database_unavailable", f"cannot read the schema version: {type(exc).__name__}")
    if applied != state.expected_heads:
        return _not_ready("migrations_pending",
                          f"database at {sorted(applied) or 'no version'}, code expects "
                          f"{sorted(state.expected_heads)}: run `mathrally migrate`")
    return web.json_response({"ready": True})


async def _mark_started(app: web.Application) -> None:
    from server import app_keys

    state = app[app_keys.READINESS]
    state.expected_heads = await asyncio.to_thread(_migration_heads)
    state.started = True


async def _mark_stopping(app: web.Application) -> None:
    from server import app_keys

    app[app_keys.READINESS].stopping = True


def setup_readiness(app: web.Application) -> None:
    from server import app_keys

    app[app_keys.READINESS] = Readiness()
    # aiohttp runs every cleanup context before the on_startup handlers added after it,
    # so this fires once all resources are up; on_shutdown fires before any is torn down.
    app.on_startup.append(_mark_started)
    app.on_shutdown.append(_mark_stopping)
    app.router.add_get("/readyz", readyz)
