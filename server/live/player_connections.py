"""Which Socket.IO connections (sids, on any worker) a player has, kept in Redis.

A worker knows only its own connections. When the teacher kicks a student connected to
another worker, the room's owner reads the student's sids here and disconnects each one; the
Redis client manager carries a disconnect for a sid it does not hold to the worker that
does. Without this the kicked student's other-worker connection was refused every message
but stayed open and kept receiving the room's broadcasts.
"""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from rooms.keys import player_connections_key

# A connection lives at most as long as a game day; the set expires with the last of them.
CONNECTIONS_TTL_S = 24 * 3600


class PlayerConnections:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def add(self, player_id: uuid.UUID, sid: str) -> None:
        key = player_connections_key(self._prefix, player_id)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.sadd(key, sid)
            pipe.expire(key, CONNECTIONS_TTL_S)
            await pipe.execute()

    async def remove(self, player_id: uuid.UUID, sid: str) -> None:
        await self._redis.srem(player_connections_key(self._prefix, player_id), sid)

    async def of(self, player_id: uuid.UUID) -> list[str]:
        members = await self._redis.smembers(player_connections_key(self._prefix, player_id))
        return sorted(m.decode() if isinstance(m, bytes) else m for m in members)
