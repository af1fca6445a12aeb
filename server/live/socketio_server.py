"""The Socket.IO server: built and attached by `setup_live(app)` from create_app (attaching
must happen before the app freezes); started and shut down by `live_ctx`."""

from __future__ import annotations

import logging

import socketio
from aiohttp import web

from rooms.keys import socketio_channel
from server import app_keys
from server.live.host import HostNamespace
from server.live.play import PlayNamespace
from server.live.screen import ScreenNamespace
from server.live.services import SOCKETIO, disconnect_everyone, live_ctx
from server.metrics import redis_manager_probe

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 16 * 1024


def create_socketio_server(app: web.Application) -> socketio.AsyncServer:
    settings = app[app_keys.SETTINGS]
    manager = None
    if settings.redis_url:
        # Broadcasts reach the clients of every worker through Redis pub/sub.
        manager = socketio.AsyncRedisManager(settings.redis_url,
                                             channel=socketio_channel(settings.redis_prefix),
                                             logger=logging.getLogger("socketio.redis"))
    sio = socketio.AsyncServer(
        async_mode="aiohttp", serializer="msgpack", client_manager=manager,
        max_http_buffer_size=MAX_MESSAGE_BYTES,
        # None means same-origin only: never "*" unless an operator lists origins.
        cors_allowed_origins=list(settings.allowed_origins) or None,
        logger=False, engineio_logger=False)
    if manager is not None:
        app[app_keys.METRICS].watch_redis_manager(redis_manager_probe(manager))
    sio.register_namespace(HostNamespace("/host", app))
    sio.register_namespace(PlayNamespace("/play", app))
    sio.register_namespace(ScreenNamespace("/screen", app))
    return sio


def setup_live(app: web.Application) -> None:
    sio = create_socketio_server(app)
    sio.attach(app)
    app[SOCKETIO] = sio
    app.cleanup_ctx.append(live_ctx)
    app.on_shutdown.append(disconnect_everyone)
