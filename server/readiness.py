"""May a load balancer send this worker traffic? (GET /readyz, server/api_health.py)

Ready means: every cleanup context has started, the database's schema is at the migrations'
head, and the worker is not shutting down. /healthz answers a different question (are the
database and Redis reachable) and keeps its own contract.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from alembic.script import ScriptDirectory
from sqlalchemy import text

from persistence.database import Database
from persistence.migrations import alembic_config

CHECK_TIMEOUT_S = 2.0


@dataclass
class Readiness:
    started: bool = False
    stopping: bool = False
    # The migration heads this code expects, read from sql/migrations at startup.
    expected_heads: frozenset[str] = frozenset()


def migration_heads() -> frozenset[str]:
    """The heads of sql/migrations: the schema version this code expects."""
    return frozenset(ScriptDirectory.from_config(alembic_config("postgresql://")).get_heads())


async def applied_heads(database: Database) -> frozenset[str]:
    async with database.engine.connect() as conn:
        rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
        return frozenset(row[0] for row in rows)


def _not_ready(reason: str, message: str) -> web.Response:
    return web.json_response({"ready": False, "reason": reason, "message": message}, status=503)


async def check(state: Readiness, database: Callable[[], Database]) -> web.Response:
    """The /readyz answer for this worker's state; `database` is only asked for once the
    worker has started (until then it may not exist yet)."""
    if state.stopping:
        return _not_ready("shutting_down", "this worker is shutting down")
    if not state.started:
        return _not_ready("starting", "this worker is still starting")
    try:
        applied = await asyncio.wait_for(applied_heads(database()), CHECK_TIMEOUT_S)
    except Exception as exc:  # unreachable, or no alembic_version table: not ready either way
        return _not_ready("database_unavailable", f"cannot read the schema version: {type(exc).__name__}")
    if applied != state.expected_heads:
        return _not_ready("migrations_pending",
                          f"database at {sorted(applied) or 'no version'}, code expects "
                          f"{sorted(state.expected_heads)}: run `mathrally migrate`")
    return web.json_response({"ready": True})
