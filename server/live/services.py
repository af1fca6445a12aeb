"""What the namespaces use: built once per app by `live_ctx` (server/live/socketio_server.py)
and held under app_keys.LIVE."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from persistence.database import Database
from persistence.room_store import PostgresRoomStore
from rooms.clock import Clock
from rooms.gateway import RoomGateway
from rooms.period_boards import PeriodBoards
from rooms.redis_pipelines import PipelineBatcher
from rooms.registry import RoomRegistry
from server.failure_limits import FailureLimits
from server.live.emits import Emitter
from server.live.join_gate import JoinGate
from server.live.player_connections import PlayerConnections
from server.settings import Settings


@dataclass
class LiveServices:
    settings: Settings
    db: Database
    redis: Redis
    pipelines: PipelineBatcher
    store: PostgresRoomStore
    clock: Clock
    registry: RoomRegistry
    gateway: RoomGateway
    emitter: Emitter
    limits: FailureLimits
    join_gate: JoinGate
    connections: PlayerConnections
    period_boards: PeriodBoards
