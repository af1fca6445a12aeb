"""Flood control per connection: a token bucket (the failure limits per address are in
server/failure_limits.py)."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """`capacity` events at once, refilled at `rate` per second."""

    def __init__(self, capacity: float = 20, rate: float = 10,
                 now: Callable[[], float] = time.monotonic) -> None:
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

    def wait_ms(self) -> int:
        """How long until the next event would be taken (after `take` said no)."""
        return max(1, int((1 - self._tokens) / self.rate * 1000) + 1)

