"""A clock and scheduler moved by hand: timers fire only when a test advances time."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable


class _Handle:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    EPOCH_BASE = 1_800_000_000_000

    def __init__(self) -> None:
        self.now = 0
        self._queue: list[tuple[int, int, _Handle, Callable[[], None]]] = []
        self._seq = itertools.count()

    def monotonic_ms(self) -> int:
        return self.now

    def epoch_ms(self) -> int:
        return self.EPOCH_BASE + self.now

    def call_later(self, delay_ms: int, callback: Callable[[], None]) -> _Handle:
        handle = _Handle()
        heapq.heappush(self._queue, (self.now + max(0, delay_ms), next(self._seq), handle, callback))
        return handle

    def advance(self, ms: int) -> None:
        """Move time forward, running every timer that falls due, in order."""
        target = self.now + ms
        while self._queue and self._queue[0][0] <= target:
            due, _, handle, callback = heapq.heappop(self._queue)
            self.now = max(self.now, due)
            if not handle.cancelled:
                callback()
        self.now = target

    def pending(self) -> int:
        return sum(1 for *_, h, _cb in self._queue if not h.cancelled)
