"""Which Socket.IO connections (sids, on any worker) a player has, kept in Redis; and this
worker's own connections per room, counted in memory, which answer a new owner's census
(rooms/cluster.Forwarder.census) when a room is rebuilt on another worker.

A worker knows only its own connections. When the teacher kicks a student connected to
another worker, the room's owner reads the student's sids here and disconnects each one; the
Redis client manager carries a disconnect for a sid it does not hold to the worker that
does. Without this the kicked student's other-worker connection was refused every message
but stayed open and kept receiving the room's broadcasts.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Awaitable
from typing import cast

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from rooms.keys import player_connections_key

log = logging.getLogger(__name__)

# A connection lives at most as long as a game day; the set expires with the last of them.
CONNECTIONS_TTL_S = 24 * 3600


class PlayerConnections:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._here: dict[uuid.UUID, Counter[uuid.UUID]] = {}  # room → player → connections

    def here(self, room_id: uuid.UUID) -> dict[uuid.UUID, int]:
        """This worker's connections to the room, per player."""
        return dict(self._here.get(room_id, {}))

    def rooms_here(self) -> list[uuid.UUID]:
        """The rooms with a player connected to this worker."""
        return list(self._here)

    def add(self, pipe: Pipeline, room_id: uuid.UUID, player_id: uuid.UUID, sid: str) -> None:
        """Counted here at once; the sid is written to Redis on the caller's pipeline."""
        self._here.setdefault(room_id, Counter())[player_id] += 1
        key = player_connections_key(self._prefix, player_id)
        pipe.sadd(key, sid)
        pipe.expire(key, CONNECTIONS_TTL_S)

    async def remove(self, room_id: uuid.UUID, player_id: uuid.UUID, sid: str) -> None:
        counts = self._here.get(room_id)
        if counts is not None and counts[player_id] > 0:
            counts[player_id] -= 1
            if not counts[player_id]:
                del counts[player_id]
            if not counts:
                del self._here[room_id]
        try:
            forgotten = self._redis.srem(player_connections_key(self._prefix, player_id), sid)
            await cast("Awaitable[int]", forgotten)
        except Exception as exc:
            log.warning("could not forget connection %s of player %s (%s)", sid, player_id, exc)

    async def of(self, player_id: uuid.UUID) -> list[str]:
        members = await cast("Awaitable[set[bytes]]",
                              self._redis.smembers(player_connections_key(self._prefix, player_id)))
        return sorted(m.decode() if isinstance(m, bytes) else m for m in members)


class LocalCensus:
    """One worker alone: the room's connections are all here."""

    def __init__(self, connections: PlayerConnections) -> None:
        self._connections = connections

    async def connected(self, room_id: uuid.UUID) -> dict[uuid.UUID, int]:
        return self._connections.here(room_id)
