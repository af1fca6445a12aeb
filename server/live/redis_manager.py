"""python-socketio's Redis manager, told when its subscription is back after Redis was lost.

With the Redis manager a broadcast reaches clients only through Redis pub/sub (the sending
worker's own clients too): one published while Redis is away is dropped after two attempts,
and one published while a worker is not subscribed never reaches that worker's clients.
A worker's subscription is missing from the moment its connection breaks until its listener
subscribes again, so every broadcast of that window is lost to its clients, with nothing to
tell them. This manager calls back each time it has subscribed again after such a break,
so that the worker re-sends what its clients may have missed (server/live/resync.py); and
it retries every RETRY_CAP_S at most (the library's listener backs off 1, 2, 4… up to 60 s,
which kept a classroom without broadcasts for seconds after Redis was back).

It subscribes again in one of two ways: redis-py's pub/sub reconnects by itself inside its
own retries (its connect callback subscribes again), or, once those are spent, the listener
below makes a new client and subscribes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import socketio

log = logging.getLogger(__name__)

RETRY_FIRST_S = 0.25
RETRY_CAP_S = 2.0

Resubscribed = Callable[[], Awaitable[None]]


class ResubscribingRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_resubscribed: list[Resubscribed] = []
        self._callbacks: set[asyncio.Task[None]] = set()

    def on_resubscribed(self, callback: Resubscribed) -> None:
        """Run `callback` (in the background) each time the subscription is back after a break."""
        self._on_resubscribed.append(callback)

    async def stop_callbacks(self) -> None:
        for task in list(self._callbacks):
            task.cancel()
        await asyncio.gather(*self._callbacks, return_exceptions=True)

    def _resubscribed(self) -> None:
        for callback in self._on_resubscribed:
            task = asyncio.get_running_loop().create_task(self._run(callback))
            self._callbacks.add(task)
            task.add_done_callback(self._callbacks.discard)

    async def _run(self, callback: Resubscribed) -> None:
        try:
            await callback()
        except asyncio.CancelledError:
            raise
        except Exception:  # the listener goes on whatever a callback does
            log.exception("a callback after the Socket.IO subscription came back failed")

    def _reconnected(self, _connection: object) -> None:
        """redis-py's connect callback: it runs after the pub/sub's own, which subscribed again."""
        log.warning("Socket.IO's Redis subscription is back (reconnected)")
        self._resubscribed()

    async def _redis_listen_with_retries(self) -> AsyncIterator[Any]:
        retry_s = RETRY_FIRST_S
        subscribed_once = False
        pubsub = client = None
        while True:
            try:
                if pubsub is not None:  # the broken ones: their connections closed
                    await _close_quietly(pubsub)
                    await _close_quietly(client)
                self._redis_connect()
                pubsub, client = self.pubsub, self.redis
                await pubsub.subscribe(self.channel)
                pubsub.connection.register_connect_callback(self._reconnected)
                retry_s = RETRY_FIRST_S
                if subscribed_once:
                    log.warning("Socket.IO's Redis subscription is back (subscribed again)")
                    self._resubscribed()
                subscribed_once = True
                async for message in pubsub.listen():
                    yield message
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("Socket.IO's Redis subscription lost (%s); retrying in %.2f s", exc, retry_s)
                await asyncio.sleep(retry_s)
                retry_s = min(retry_s * 2, RETRY_CAP_S)


async def _close_quietly(closable: Any) -> None:
    try:
        await closable.aclose()
    except Exception as exc:  # it is broken already; nothing to keep
        log.debug("closing a broken Socket.IO Redis connection: %s", exc)
