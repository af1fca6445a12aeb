"""The cyclic garbage collector, tuned for a process holding thousands of live connections.

Measured (docs/performance.md, "Design decisions"): with 3,000 students connected the
server holds ~650,000 objects the collector tracks, and CPython 3.11 then stops the event
loop for 430–520 ms at every full collection. Answers arriving meanwhile wait: in the
100 rooms × 30 storm such a pause came every 2.5–3 s and made the ack p99 650 ms.

What the policy does (`mathrally serve` only; tests and tools keep the defaults):
- A larger young generation (20,000 allocations instead of 700): most per-message objects
  die before they are ever scanned, so fewer are promoted and full collections come rarer.
- After each full collection, `gc.freeze()`: what survived it (connections, rooms, the
  game's answers) moves to the permanent generation, so the next full collection scans
  only what is newer. Frozen objects are still freed by reference counting as usual.
- Every 15 minutes, `gc.unfreeze()`: a frozen object that later became part of a garbage
  cycle is only found once it is unfrozen, so this bounds such leaks to one interval, at the
  price of one long collection per interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

YOUNG_THRESHOLD = 20_000
MIDDLE_THRESHOLD = 20
OLD_THRESHOLD = 10
UNFREEZE_EVERY_S = 15 * 60


class CollectorPolicy:
    def __init__(self, unfreeze_every_s: float = UNFREEZE_EVERY_S) -> None:
        self.unfreeze_every_s = unfreeze_every_s
        self.full_collections = 0
        self._previous: tuple[int, ...] | None = None

    def install(self) -> None:
        if self._previous is not None:
            return
        self._previous = gc.get_threshold()
        gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)
        gc.callbacks.append(self._after_collection)
        gc.freeze()  # what start-up built (modules, the app) lives as long as the process

    def uninstall(self) -> None:
        if self._previous is None:
            return
        gc.callbacks.remove(self._after_collection)
        gc.set_threshold(*self._previous)
        gc.unfreeze()
        self._previous = None

    def _after_collection(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "stop" and info["generation"] == 2:
            self.full_collections += 1
            gc.freeze()

    async def _unfreeze_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.unfreeze_every_s)
            gc.unfreeze()

    async def app_ctx(self, _app: web.Application) -> AsyncIterator[None]:
        """An aiohttp cleanup context: installed while the app runs."""
        self.install()
        task = asyncio.get_running_loop().create_task(self._unfreeze_periodically())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.uninstall()
