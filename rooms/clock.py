"""Time as the room sees it, injected so tests drive it by hand (no sleeps)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    def monotonic_ms(self) -> int:
        """Milliseconds on a clock that never goes back: measures durations."""

    def epoch_ms(self) -> int:
        """Server epoch milliseconds: what `*_at` fields on the wire carry."""


def naive_utc(epoch_ms: int) -> dt.datetime:
    """`epoch_ms` as the naive UTC datetime the database keeps."""
    return dt.datetime.fromtimestamp(epoch_ms / 1000, dt.UTC).replace(tzinfo=None)


class Cancellable(Protocol):
    def cancel(self) -> None: ...


class Scheduler(Protocol):
    def call_later(self, delay_ms: int, callback: Callable[[], None]) -> Cancellable: ...


class SystemClock:
    def monotonic_ms(self) -> int:
        return time.monotonic_ns() // 1_000_000

    def epoch_ms(self) -> int:
        return time.time_ns() // 1_000_000


class LoopScheduler:
    """Timers on the running asyncio loop."""

    def call_later(self, delay_ms: int, callback: Callable[[], None]) -> Cancellable:
        return asyncio.get_running_loop().call_later(max(0, delay_ms) / 1000, callback)
