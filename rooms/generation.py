"""Has Redis lost its data since this worker last looked?

Redis holds the live boards, never the record: after a FLUSHDB, a restart without persistence,
or a failover to a replica that had not caught up, a board is wrong until it is rebuilt from
PostgreSQL. One missing board key does not tell: the first answer committed after the loss
recreates the key with that answer alone. So Redis carries one generation marker, a random
value set by whichever worker finds it missing; a worker that reads a value other than the one
it saw last knows that everything it had written before is gone, whoever noticed first.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from rooms.keys import generation_key

# KEYS[1] the marker; ARGV[1] a new value. The marker's value, set to ARGV[1] if it was missing.
_READ_OR_START = """
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
"""


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisGeneration:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._key = generation_key(prefix)
        self._read_or_start = redis.register_script(_READ_OR_START)
        self._known: str | None = None
        self._on_lost: list[Callable[[], Awaitable[None]]] = []
        self._checking = asyncio.Lock()

    def on_lost(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run `callback` (rebuild what this worker keeps in Redis) once per loss noticed."""
        self._on_lost.append(callback)

    @property
    def key(self) -> str:
        """The marker's key, for a reader that GETs it in its own pipeline (`is_known`)."""
        return self._key

    def is_known(self, marker: object) -> bool:
        """The marker as read (GET) is the one this worker saw last: nothing was lost. Else
        the reader calls `check`, which starts a missing marker and runs the rebuilds."""
        return self._known is not None and marker is not None and _text(marker) == self._known

    async def check(self) -> bool:
        """Read the marker (starting a new generation if it is missing); when it is not the one
        this worker saw last, run the callbacks before returning True. One check at a time, so
        a loss noticed by several readers at once is rebuilt once, and every reader waits for
        that rebuild."""
        async with self._checking:
            current = _text(await self._read_or_start(keys=[self._key], args=[uuid.uuid4().hex]))
            if self._known is None:  # this worker's first look: nothing of its own to rebuild
                self._known = current
            if current == self._known:
                return False
            for callback in self._on_lost:
                await callback()
            # Only now: a rebuild that failed (PostgreSQL away) is tried again at the next check.
            self._known = current
            return True
