"""Flood control: a token bucket per connection, and a join limit per address in Redis
(so it holds across workers)."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from rooms.keys import join_rate_key


class TokenBucket:
    """`capacity` events at once, refilled at `rate` per second."""

    def __init__(self, capacity: float = 20, rate: float = 10, now=time.monotonic) -> None:
        self.capacity = capacity
        self.rate = rate
        self._now = now
        self._tokens = capacity
        self._stamp = now()

    def take(self) -> bool:
        now = self._now()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class JoinLimiter:
    """At most `limit` join attempts per address per `window_s` (a fixed window in Redis)."""

    def __init__(self, redis: Redis, prefix: str, limit: int, window_s: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self.limit = limit
        self.window_s = window_s

    async def allow(self, address: str) -> bool:
        key = join_rate_key(self._prefix, address)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, self.window_s, nx=True)
            count, _ = await pipe.execute()
        return count <= self.limit
