"""Many coroutines' Redis commands in one pipeline.

A worker hosting a hundred classrooms sends Redis many small pipelines at once: a joining
student's board seat and connection, each room's leaderboard read. Each round trip costs
redis-py far more than the commands in it (a pooled connection taken and given back, the
write, the wake-up on the reply), so `PipelineBatcher` sends whatever callers queue while
one pipeline is out as the next single pipeline, the way the answer writer groups commits.
A caller alone pays one turn of the event loop; under load the pipelines grow instead of
the round trips multiplying.

Each caller gets exactly its own replies. A command that fails fails only its caller (the
pipeline runs with `raise_on_error=False`); a lost connection fails every caller of that
pipeline, as it would have failed each of their own pipelines. No MULTI: a caller that needs
its commands applied together keeps its own transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

Queue = Callable[[Pipeline], object]


class PipelineBatcher:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._next: Pipeline | None = None  # what callers queue while one is out
        self._waiting: list[tuple[asyncio.Future[list[Any]], int, int]] = []
        self._sending: asyncio.Task[None] | None = None

    async def run(self, queue: Queue) -> list[Any]:
        """The replies of the commands `queue` puts on the pipeline, in order. `queue` runs
        at once (what it does besides queueing happens before this call first waits)."""
        if self._next is None:
            self._next = self._redis.pipeline(transaction=False)
        pipe = self._next
        start = len(pipe.command_stack)
        try:
            queue(pipe)
        except BaseException:
            del pipe.command_stack[start:]
            raise
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Any]] = loop.create_future()
        self._waiting.append((future, start, len(pipe.command_stack)))
        if self._sending is None:
            self._sending = loop.create_task(self._send_all())
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            # A cancelled caller's commands still go out (as they would from its own
            # pipeline once written); only its wait ends, and nobody reads its outcome.
            future.add_done_callback(_forget)
            raise

    async def drain(self) -> None:
        """Wait until nothing is queued or out: everything queued so far (and whatever was
        queued meanwhile) has been sent and answered."""
        if self._sending is not None:
            await asyncio.shield(self._sending)

    async def _send_all(self) -> None:
        try:
            while self._next is not None:
                pipe, waiting = self._next, self._waiting
                self._next, self._waiting = None, []
                await self._send(pipe, waiting)
        finally:
            self._sending = None

    @staticmethod
    async def _send(pipe: Pipeline, waiting: list[tuple[asyncio.Future[list[Any]], int, int]]) -> None:
        try:
            replies = await pipe.execute(raise_on_error=False)
        except Exception as exc:
            for future, _, _ in waiting:
                if not future.done():
                    future.set_exception(exc)
            return
        except BaseException:
            for future, _, _ in waiting:
                future.cancel()
            raise
        for future, start, end in waiting:
            if future.done():
                continue
            mine = replies[start:end]
            failed = next((r for r in mine if isinstance(r, Exception)), None)
            if failed is not None:
                future.set_exception(failed)
            else:
                future.set_result(mine)


def _forget(future: asyncio.Future[list[Any]]) -> None:
    if not future.cancelled():
        future.exception()
