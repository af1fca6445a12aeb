"""The application factory: `create_app(settings)` builds everything; nothing exists at import."""

from __future__ import annotations

from aiohttp import web

from server import app_keys
from server.api_learning import practice_errors
from server.client_address import setup_client_address
from server.errors import json_errors
from server.live.guarded_server import library_logger
from server.live.socketio_server import setup_live
from server.logs import request_ids
from server.observability import setup_observability
from server.passwords import Passwords
from server.resources import (
    answer_writer_ctx,
    database_ctx,
    failure_limits_ctx,
    learning_ctx,
    prepare_passwords,
    read_routing_ctx,
    redis_ctx,
    redis_probe_ctx,
    seed_ctx,
)
from server.routes import http_routes
from server.settings import Settings
from server.timestamps import utc_now

MAX_HTTP_BODY_BYTES = 64 * 1024


def create_app(settings: Settings | None = None, *, seed_tracks: bool = False) -> web.Application:
    """seed_tracks: write the standard learning tracks once the database is up (`serve --seed`)."""
    settings = settings or Settings.from_env()
    app = web.Application(middlewares=[request_ids, json_errors, practice_errors],
                          client_max_size=MAX_HTTP_BODY_BYTES)
    app[app_keys.SETTINGS] = settings
    # Tests swap these before the app starts: the hasher for cheap parameters, the clock to
    # move days forward.
    app[app_keys.PASSWORDS] = Passwords()
    app[app_keys.CLOCK] = utc_now
    # A request line or header too long, or a malformed request: one line, not a traceback.
    library_logger("aiohttp.server")
    setup_client_address(app, settings.trusted_proxies, settings.forwarded_header)
    # First, so every part set up after it can report to it.
    setup_observability(app)
    app.on_startup.append(prepare_passwords)
    # Order matters: Redis, then the database, then the answer writer; torn down in reverse.
    app.cleanup_ctx.append(redis_ctx)
    app.cleanup_ctx.append(failure_limits_ctx)
    app.cleanup_ctx.append(database_ctx)
    app.cleanup_ctx.append(read_routing_ctx)
    if seed_tracks:
        app.cleanup_ctx.append(seed_ctx)
    app.cleanup_ctx.append(redis_probe_ctx)
    app.cleanup_ctx.append(answer_writer_ctx)
    # After the writer's context: it hooks the curriculum onto the writer.
    app.cleanup_ctx.append(learning_ctx)
    app.router.add_routes(http_routes())
    # After the writer's context: the live game needs Redis, the database and the writer.
    setup_live(app)
    return app
