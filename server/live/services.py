"""What the namespaces use, built once per app in `live_ctx` (after Redis, the database and
the answer writer; torn down before them)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import socketio
from aiohttp import web
from redis.asyncio import Redis

from persistence.database import Database
from rooms.clock import LoopScheduler, SystemClock
from rooms.leaderboard import Leaderboards
from rooms.registry import RoomRegistry
from server import app_keys
from server.live.emits import Emitter
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
    emitter: Emitter
    joins: JoinLimiter


LIVE = web.AppKey("live", LiveServices)
SOCKETIO = web.AppKey("socketio", socketio.AsyncServer)


async def live_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[app_keys.SETTINGS]
    sio = app[SOCKETIO]
    emitter = Emitter(sio)
    redis = app[app_keys.REDIS]
    registry = RoomRegistry(db=app[app_keys.DATABASE], writer=app[app_keys.ANSWER_WRITER],
                            boards=Leaderboards(redis, settings.redis_prefix), broadcaster=emitter,
                            clock=SystemClock(), scheduler=LoopScheduler())
    app[LIVE] = LiveServices(settings=settings, db=app[app_keys.DATABASE], redis=redis,
                             registry=registry, emitter=emitter,
                             joins=JoinLimiter(redis, settings.redis_prefix, JOIN_LIMIT_PER_ADDRESS,
                                               JOIN_WINDOW_S))
    yield
    await sio.shutdown()
    await registry.close_all()
