"""The Socket.IO server: built and attached by `setup_live(app)` from create_app (attaching
must happen before the app freezes); what the namespaces use (LiveServices) is built and torn
down by `live_ctx`, after Redis, the database and the answer writer and before them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

import socketio
from aiohttp import web

from persistence.live_answers import LiveAnswerWriter
from persistence.live_points import PostgresLivePoints
from persistence.redis_client import close_sentinels, failover_options, parse_sentinel_url
from persistence.room_store import PostgresRoomStore
from rooms.audiences import RoomAudiences
from rooms.clock import LoopScheduler, SystemClock
from rooms.cluster import Forwarder, RoomLeases
from rooms.gateway import RoomGateway
from rooms.generation import RedisGeneration
from rooms.keys import socketio_channel
from rooms.leaderboard import Leaderboards
from rooms.period_boards import PeriodBoards
from rooms.ports import ConnectionCensus
from rooms.redis_pipelines import PipelineBatcher
from rooms.registry import RoomRegistry
from server import app_keys
from server.live.emits import Emitter
from server.live.guarded_server import GuardedServer, library_logger
from server.live.host import HostNamespace
from server.live.join_gate import JoinGate
from server.live.play import PlayNamespace
from server.live.player_connections import LocalCensus, PlayerConnections
from server.live.redis_manager import ResubscribingRedisManager
from server.live.resync import StateResync
from server.live.screen import ScreenNamespace
from server.live.services import LiveServices
from server.metrics import redis_manager_probe

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 16 * 1024


def create_socketio_server(app: web.Application) -> socketio.AsyncServer:
    settings = app[app_keys.SETTINGS]
    manager = None
    if settings.redis_url:
        # Broadcasts reach the clients of every worker through Redis pub/sub. python-socketio
        # reads a redis+sentinel:// URL itself (the same form as ours) and asks the Sentinels
        # for the primary each time it connects; with the failover options its publishes and
        # its listener wait out a failover instead of dropping what is sent meanwhile. What its
        # clients missed while its subscription was broken is re-sent when it is back.
        options = failover_options() if parse_sentinel_url(settings.redis_url) else {}
        manager = ResubscribingRedisManager(settings.redis_url,
                                            channel=socketio_channel(settings.redis_prefix),
                                            logger=logging.getLogger("socketio.redis"),
                                            redis_options=options)
    sio = GuardedServer(
        async_mode="aiohttp", serializer="msgpack", client_manager=manager,
        max_http_buffer_size=MAX_MESSAGE_BYTES,
        # None means same-origin only: never "*" unless an operator lists origins.
        cors_allowed_origins=list(settings.allowed_origins) or None,
        logger=library_logger("socketio.server"),
        engineio_logger=library_logger("engineio.server"))
    if manager is not None:
        app[app_keys.METRICS].watch_redis_manager(redis_manager_probe(manager))
    sio.register_namespace(HostNamespace("/host", app))
    sio.register_namespace(PlayNamespace("/play", app))
    sio.register_namespace(ScreenNamespace("/screen", app))
    return sio


def setup_live(app: web.Application) -> None:
    sio = create_socketio_server(app)
    sio.attach(app)
    app[app_keys.SOCKETIO] = sio
    app.cleanup_ctx.append(live_ctx)
    app.on_shutdown.append(leave_rooms)
    app.on_shutdown.append(disconnect_everyone)


async def leave_rooms(app: web.Application) -> None:
    """on_shutdown, first: let go of this worker's rooms before its students are sent away,
    so that they find them on another worker as they come back."""
    await app[app_keys.LIVE].gateway.leave()


async def live_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[app_keys.SETTINGS]
    sio = app[app_keys.SOCKETIO]
    redis = app[app_keys.REDIS]
    connections = PlayerConnections(redis, settings.redis_prefix)
    audiences = RoomAudiences()
    emitter = Emitter(sio, connections, audiences)
    store, clock = PostgresRoomStore(app[app_keys.DATABASE]), SystemClock()
    worker_id = uuid.uuid4().hex
    forwarder: Forwarder | None = None
    census: ConnectionCensus = LocalCensus(connections)
    if settings.redis_url:  # several workers may serve the same rooms
        forwarder = Forwarder(redis, settings.redis_prefix, worker_id, lambda c: gateway.run_forwarded(c),
                              census=connections.here)
        census = forwarder
    writer = LiveAnswerWriter(app[app_keys.ANSWER_WRITER])
    generation = RedisGeneration(redis, settings.redis_prefix)
    pipelines = PipelineBatcher(redis)
    registry = RoomRegistry(store=store, writer=writer,
                            boards=Leaderboards(redis, settings.redis_prefix, generation, pipelines),
                            broadcaster=emitter,
                            clock=clock, scheduler=LoopScheduler(), worker=worker_id, census=census,
                            audiences=audiences)
    period_boards = PeriodBoards(redis, settings.redis_prefix, PostgresLivePoints(app[app_keys.DATABASE]),
                                 clock=clock, scheduler=LoopScheduler())
    writer.on_committed(period_boards.on_committed)
    generation.on_lost(registry.redis_lost)
    registry.on_restored(period_boards.refresh_soon)
    generation.on_lost(period_boards.redis_lost)
    app[app_keys.METRICS].watch_open_rooms(lambda: len(registry.room_ids()))
    leases = RoomLeases(redis, settings.redis_prefix, worker_id) if forwarder is not None else None
    gateway = RoomGateway(registry, leases, generation)
    if forwarder is not None:
        await gateway.start(forwarder)
    manager = sio.manager
    if isinstance(manager, ResubscribingRedisManager):
        manager.on_resubscribed(StateResync(gateway, connections, emitter).resend_all)
    app[app_keys.LIVE] = LiveServices(settings=settings, db=app[app_keys.DATABASE], redis=redis,
                             pipelines=pipelines,
                             store=store, clock=clock, registry=registry, gateway=gateway,
                             emitter=emitter, limits=app[app_keys.FAILURE_LIMITS],
                             join_gate=JoinGate(app[app_keys.FAILURE_LIMITS], redis, settings.redis_prefix),
                             connections=connections, period_boards=period_boards)
    yield
    if isinstance(manager, ResubscribingRedisManager):
        await manager.stop_callbacks()
    await gateway.stop()
    await registry.close_all()
    await period_boards.close()
    await pipelines.drain()
    await sio.shutdown()
    await stop_client_manager(sio)


async def disconnect_everyone(app: web.Application) -> None:
    """on_shutdown: aiohttp waits for open websockets before cleanup, so close them first."""
    sio = app[app_keys.SOCKETIO]
    for namespace in ("/host", "/play", "/screen"):
        for sid, _ in list(sio.manager.get_participants(namespace, None)):
            await sio.disconnect(sid, namespace=namespace)
    # Then the Engine.IO sessions: a long-polling client's pending request is held until its
    # next ping (25 s) and aiohttp waits for it. A CLOSE packet answers it now; not waiting
    # for the queue to drain, since a client that went away never fetches it.
    for engine_socket in list(sio.eio.sockets.values()):
        await engine_socket.close(wait=False)


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
        # With a redis+sentinel:// URL, the clients of the Sentinels it asked.
        sentinel = getattr(redis.connection_pool, "sentinel_manager", None)
        if sentinel is not None:
            await close_sentinels(sentinel)

