"""The application factory: `create_app(settings)` builds everything; nothing exists at import."""

from __future__ import annotations

from aiohttp import web

from server import app_keys
from server.curriculum_routes import setup_curriculum
from server.errors import json_errors
from server.health import setup_health
from server.live.socketio_server import setup_live
from server.logs import request_ids
from server.metrics import redis_probe_ctx, setup_metrics
from server.pages import setup_pages
from server.readiness import setup_readiness
from server.resources import answer_writer_ctx, database_ctx, redis_ctx
from server.settings import Settings
from server.teacher_api import setup_teacher_api

MAX_HTTP_BODY_BYTES = 64 * 1024


def create_app(settings: Settings | None = None) -> web.Application:
    settings = settings or Settings.from_env()
    app = web.Application(middlewares=[request_ids, json_errors], client_max_size=MAX_HTTP_BODY_BYTES)
    app[app_keys.SETTINGS] = settings
    # First, so every part set up after it can report to it.
    setup_metrics(app)
    # Order matters: Redis, then the database, then the answer writer; torn down in reverse.
    app.cleanup_ctx.append(redis_ctx)
    app.cleanup_ctx.append(database_ctx)
    app.cleanup_ctx.append(redis_probe_ctx)
    app.cleanup_ctx.append(answer_writer_ctx)
    setup_health(app)
    setup_readiness(app)
    setup_teacher_api(app)
    setup_pages(app)
    # After the answer writer's cleanup context: it hooks the curriculum onto the writer.
    setup_curriculum(app)
    # After the writer's context: the live game needs Redis, the database and the writer.
    setup_live(app)
    return app
