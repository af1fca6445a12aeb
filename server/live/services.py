"""What the namespaces use, built once per app in `live_ctx` (after Redis, the database and
the answer writer; torn down before them)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import socketio
from aiohttp import web
from redis.asyncio import Redis

from persistence.database import Database
from rooms.clock import LoopScheduler, SystemClock
from rooms.cluster import Forwarder, RoomLeases
from rooms.gateway import RoomGateway
from rooms.leaderboard import Leaderboards
from rooms.registry import RoomRegistry
from server import app_keys
from server.live.emits import Emitter
from server.live.player_connections import PlayerConnections
from server.live.rate_limits import JoinLimiter
from server.settings import Settings

# A classroom shares one address (NAT); this lets a class of 60 join twice in a minute while
# a script guessing codes gets a few hundred tries an hour.
JOIN_LIMIT_PER_ADDRESS = 120
JOIN_WINDOW_S = 60


@dataclass
class LiveServices:
    settings: Settings
    db: Database
    redis: Redis
    registry: RoomRegistry
    gateway: RoomGateway
    emitter: Emitter
    joins: JoinLimiter
    connections: PlayerConnections


LIVE = web.AppKey("live", LiveServices)
SOCKETIO = web.AppKey("socketio", socketio.AsyncServer)


async def live_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[app_keys.SETTINGS]
    sio = app[SOCKETIO]
    redis = app[app_keys.REDIS]
    connections = PlayerConnections(redis, settings.redis_prefix)
    emitter = Emitter(sio, connections)
    registry = RoomRegistry(db=app[app_keys.DATABASE], writer=app[app_keys.ANSWER_WRITER],
                            boards=Leaderboards(redis, settings.redis_prefix), broadcaster=emitter,
                            clock=SystemClock(), scheduler=LoopScheduler())
    app[app_keys.METRICS].watch_open_rooms(lambda: len(registry.room_ids()))
    leases = None
    if settings.redis_url:  # several workers may serve the same rooms
        leases = RoomLeases(redis, settings.redis_prefix, worker_id=uuid.uuid4().hex)
    gateway = RoomGateway(registry, app[app_keys.DATABASE], leases)
    if leases is not None:
        await gateway.start(Forwarder(redis, settings.redis_prefix, leases.worker_id, gateway.serve))
    app[LIVE] = LiveServices(settings=settings, db=app[app_keys.DATABASE], redis=redis,
                             registry=registry, gateway=gateway, emitter=emitter,
                             joins=JoinLimiter(redis, settings.redis_prefix, JOIN_LIMIT_PER_ADDRESS,
                                               JOIN_WINDOW_S),
                             connections=connections)
    yield
    await gateway.stop()
    await registry.close_all()
    await sio.shutdown()
    await stop_client_manager(sio)


async def disconnect_everyone(app: web.Application) -> None:
    """on_shutdown: aiohttp waits for open websockets before cleanup, so close them first."""
    sio = app[SOCKETIO]
    for namespace in ("/host", "/play", "/screen"):
        for sid, _ in list(sio.manager.get_participants(namespace, None)):
            await sio.disconnect(sid, namespace=namespace)


async def stop_client_manager(sio: socketio.AsyncServer) -> None:
    """The Redis manager's listener task and connection outlive sio.shutdown(); stop them."""
    thread = getattr(sio.manager, "thread", None)
    if thread is not None:
        thread.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await thread
    redis = getattr(sio.manager, "redis", None)
    if redis is not None:
        await redis.aclose()
