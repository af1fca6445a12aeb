"""More than one worker: which worker owns a room (a lease in Redis), and how the others
forward a client's request to it (request/reply over Redis pub/sub).

Exactly one worker owns a room at a time: it holds the room in memory, runs its timers and
decides every answer. Every worker serves any client; a worker that does not own the room
forwards the request to the owner and relays the reply. Broadcasts go through the Socket.IO
Redis manager, so they reach every worker's clients. A lease not renewed (its owner died)
expires; the next request makes another worker the owner, which rebuilds the room from
PostgreSQL (rooms/registry.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable

import msgpack
from redis.asyncio import Redis

from rooms.room import RoomError

log = logging.getLogger(__name__)

LEASE_MS = 10_000
RENEW_EVERY_S = 3.0
CALL_TIMEOUT_S = 15.0


def owner_key(prefix: str, room_id: uuid.UUID | str) -> str:
    return f"{prefix}:room:{room_id}:owner"


def worker_channel(prefix: str, worker_id: str) -> str:
    return f"{prefix}:worker:{worker_id}"


class RoomLeases:
    def __init__(self, redis: Redis, prefix: str, worker_id: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self.worker_id = worker_id

    async def owner_of(self, room_id: uuid.UUID) -> str:
        """The owner's worker id; this worker takes the lease if nobody holds it."""
        key = owner_key(self._prefix, room_id)
        for _ in range(5):
            if await self._redis.set(key, self.worker_id, nx=True, px=LEASE_MS):
                return self.worker_id
            owner = await self._redis.get(key)
            if owner is not None:
                return owner.decode() if isinstance(owner, bytes) else owner
        raise RoomError("unavailable", "the room is moving between servers; try again")

    async def renew(self, room_ids: list[uuid.UUID]) -> list[uuid.UUID]:
        """Renew our leases; returns the rooms whose lease we lost (stop running them)."""
        lost = []
        for room_id in room_ids:
            key = owner_key(self._prefix, room_id)
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    owner = await pipe.get(key)
                    owner = owner.decode() if isinstance(owner, bytes) else owner
                    if owner not in (None, self.worker_id):
                        lost.append(room_id)
                        continue
                    pipe.multi()
                    pipe.set(key, self.worker_id, px=LEASE_MS)
                    await pipe.execute()
                except Exception:  # WatchError or Redis down: try again next round
                    log.warning("lease renewal of room %s failed", room_id, exc_info=True)
        return lost

    async def release(self, room_id: uuid.UUID) -> None:
        key = owner_key(self._prefix, room_id)
        owner = await self._redis.get(key)
        if owner is not None and (owner.decode() if isinstance(owner, bytes) else owner) == self.worker_id:
            await self._redis.delete(key)


Handler = Callable[[str, dict], Awaitable[dict]]


class Forwarder:
    """Request/reply between workers over Redis pub/sub, msgpack-encoded."""

    def __init__(self, redis: Redis, prefix: str, worker_id: str, handler: Handler) -> None:
        self._redis = redis
        self._prefix = prefix
        self._worker_id = worker_id
        self._handler = handler
        self._pending: dict[str, asyncio.Future] = {}
        self._pubsub = None
        self._listener: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.subscribe(worker_channel(self._prefix, self._worker_id))
        self._listener = asyncio.get_running_loop().create_task(self._listen())

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._pubsub is not None:
            await self._pubsub.aclose()

    async def call(self, worker_id: str, op: str, args: dict) -> dict:
        request_id = uuid.uuid4().hex
        future = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        message = {"kind": "request", "id": request_id, "reply_to": self._worker_id, "op": op, "args": args}
        try:
            receivers = await self._redis.publish(worker_channel(self._prefix, worker_id),
                                                  msgpack.packb(message))
            if not receivers:
                raise RoomError("unavailable", "the room's server is gone; try again")
            reply = await asyncio.wait_for(future, CALL_TIMEOUT_S)
        except TimeoutError:
            raise RoomError("unavailable", "the room's server did not answer; try again") from None
        finally:
            self._pending.pop(request_id, None)
        if "error" in reply:
            raise RoomError(reply["error"]["code"], reply["error"]["message"])
        return reply["result"]

    async def _listen(self) -> None:
        assert self._pubsub is not None
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("forwarding listener: Redis read failed")
                await asyncio.sleep(0.5)
                continue
            if message is None or message.get("type") != "message":
                continue
            try:
                body = msgpack.unpackb(message["data"])
            except Exception:
                continue
            if body.get("kind") == "reply":
                future = self._pending.get(body.get("id"))
                if future is not None and not future.done():
                    future.set_result(body)
            elif body.get("kind") == "request":
                task = asyncio.get_running_loop().create_task(self._serve(body))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _serve(self, body: dict) -> None:
        reply: dict = {"kind": "reply", "id": body["id"]}
        try:
            reply["result"] = await self._handler(body["op"], body["args"])
        except RoomError as exc:
            reply["error"] = {"code": exc.code, "message": exc.message}
        except Exception:
            log.exception("forwarded %s failed", body.get("op"))
            reply["error"] = {"code": "internal_error", "message": "something went wrong"}
        await self._redis.publish(worker_channel(self._prefix, body["reply_to"]), msgpack.packb(reply))
