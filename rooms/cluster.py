"""More than one worker: which worker owns a room (a lease in Redis), and how the others
forward a client's request to it (request/reply over Redis pub/sub).

One worker runs a room at a time: it holds the room in memory, runs its timers and decides
every answer. Every worker serves any client; a worker that does not own the room forwards
the request to the owner and relays the reply. Broadcasts go through the Socket.IO Redis
manager, so they reach every worker's clients.

The lease only routes: PostgreSQL fences (docs/architecture.md, "Owning a room"). Its value
is "<worker>:<epoch ms of its last renewal>", renewed every RENEW_EVERY_S for LEASE_MS. A
lease whose owner is known gone becomes a tombstone, "-:<epoch ms>", kept TOMBSTONE_MS: the
moment the room stopped being served, which the next owner takes as the start of the outage
(nobody is charged it). An owner is known gone when a request published to it reaches no
subscriber (kill -9 closes its Redis connection at once), when a worker's census of a request
still pending finds its channel without subscribers, or when it released its rooms as it
shut down; else its lease simply expires. Whoever then asks first takes the lease and claims
the room.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import msgpack
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from rooms.commands import (
    CommandRefused,
    RoomCommand,
    decode_command,
    decode_reply,
    encode_command,
    encode_reply,
)
from rooms.room import RoomError

log = logging.getLogger(__name__)

LEASE_MS = 2_000
RENEW_EVERY_S = 0.5
TOMBSTONE_MS = 60_000
CALL_TIMEOUT_S = 15.0
# A forwarded request still unanswered after this long has its owner's channel checked, and
# then again every DEAD_CHECK_EVERY_S: a dead owner's requests are refused within about 0.5 s.
DEAD_CHECK_AFTER_S = 0.25
DEAD_CHECK_EVERY_S = 0.25
# How long a census waits for the other workers' replies.
CENSUS_TIMEOUT_S = 0.5

R = TypeVar("R")


def owner_key(prefix: str, room_id: uuid.UUID | str) -> str:
    return f"{prefix}:room:{room_id}:owner"


def worker_channel(prefix: str, worker_id: str) -> str:
    return f"{prefix}:worker:{worker_id}"


def workers_channel(prefix: str) -> str:
    """Every worker listens here too: a census goes to all of them at once."""
    return f"{prefix}:workers"


def epoch_ms() -> int:
    return time.time_ns() // 1_000_000


# KEYS[1] the lease; ARGV: worker, now ms, lease ms. The owner and, when this call took a
# lease that was a tombstone, the tombstone's time ("" otherwise).
_ACQUIRE = """
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, 2) ~= '-:' then
  return {string.match(v, '^(.*):[0-9]+$') or v, ''}
end
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[2], 'PX', ARGV[3])
if v then return {ARGV[1], string.sub(v, 3)} end
return {ARGV[1], ''}
"""
# KEYS the leases of the rooms this worker runs; ARGV: worker, now ms, lease ms. Renews each
# one that is this worker's or that nobody holds (Redis lost it); returns the 1-based
# positions of those another worker holds now.
_RENEW = """
local lost = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  local owner = v and (string.match(v, '^(.*):[0-9]+$') or v)
  if v == false or owner == ARGV[1] or owner == '-' then
    redis.call('SET', key, ARGV[1] .. ':' .. ARGV[2], 'PX', ARGV[3])
  else
    table.insert(lost, i)
  end
end
return lost
"""
# KEYS leases; ARGV: the worker they must name, the tombstone's time ("" for the time of the
# named worker's last renewal), tombstone ms. Each lease naming that worker becomes a
# tombstone; returns how many did.
_BURY = """
local n = 0
for _, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  if v then
    local owner, renewed = string.match(v, '^(.*):([0-9]+)$')
    if owner == ARGV[1] then
      local at = ARGV[2]
      if at == '' then at = renewed end
      redis.call('SET', key, '-:' .. at, 'PX', ARGV[3])
      n = n + 1
    end
  end
end
return n
"""


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class OwnerGone(RoomError):
    """The room's owner is gone: `delivered` False when the request reached nobody (it can be
    run elsewhere as it is), True when it was delivered and then never answered (it may or
    may not have been carried out: the client resends)."""

    def __init__(self, worker_id: str, *, delivered: bool) -> None:
        super().__init__("unavailable", "the room's server is gone; send it again",
                         retry_after_ms=500)
        self.worker_id = worker_id
        self.delivered = delivered


class RoomLeases:
    def __init__(self, redis: Redis, prefix: str, worker_id: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self.worker_id = worker_id
        self._acquire = redis.register_script(_ACQUIRE)
        self._renew = redis.register_script(_RENEW)
        self._bury = redis.register_script(_BURY)

    async def acquire(self, room_id: uuid.UUID) -> tuple[str, int | None]:
        """(the owner's worker id, None), or, when this worker took the lease, (this worker,
        the epoch ms the room stopped being served if its previous owner is known gone)."""
        owner, since = await self._acquire(keys=[owner_key(self._prefix, room_id)],
                                           args=[self.worker_id, epoch_ms(), LEASE_MS])
        since_text = _text(since)
        return _text(owner), int(since_text) if since_text.isdigit() else None

    async def owner_of(self, room_id: uuid.UUID) -> str:
        """The owner's worker id; this worker takes the lease if nobody holds it."""
        return (await self.acquire(room_id))[0]

    async def renew(self, room_ids: list[uuid.UUID]) -> list[uuid.UUID]:
        """Renew our leases (one round trip); returns the rooms whose lease another worker
        holds now (stop running them)."""
        if not room_ids:
            return []
        lost = await self._renew(keys=[owner_key(self._prefix, r) for r in room_ids],
                                 args=[self.worker_id, epoch_ms(), LEASE_MS])
        return [room_ids[int(i) - 1] for i in lost]

    async def release(self, room_ids: list[uuid.UUID]) -> None:
        """Let go of our rooms now (this worker stops serving them): the next request makes
        another worker the owner at once, and its outage starts now."""
        if room_ids:
            await self._bury(keys=[owner_key(self._prefix, r) for r in room_ids],
                             args=[self.worker_id, str(epoch_ms()), TOMBSTONE_MS])

    async def bury(self, room_id: uuid.UUID, dead_worker: str) -> bool:
        """`dead_worker` is gone: its lease of the room becomes a tombstone dated from its
        last renewal. False if the lease no longer names it."""
        return bool(await self._bury(keys=[owner_key(self._prefix, room_id)],
                                     args=[dead_worker, "", TOMBSTONE_MS]))


Handler = Callable[[RoomCommand[Any]], Awaitable[Any]]
# What a census asks each worker: its connections per player of one room (player id → count).
CensusHandler = Callable[[uuid.UUID], Mapping[uuid.UUID, int]]


class Forwarder:
    """Request/reply between workers over Redis pub/sub, msgpack-encoded: a request carries a
    typed, versioned room command (rooms/commands.py), its reply the command's result or the
    refusal's code and message. A census asks every worker at once how many connections each
    player of a room has there."""

    def __init__(self, redis: Redis, prefix: str, worker_id: str, handler: Handler,
                 census: CensusHandler | None = None) -> None:
        self._redis = redis
        self._prefix = prefix
        self._worker_id = worker_id
        self._handler = handler
        self._census = census
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._waiting_on: dict[str, tuple[str, float]] = {}  # request id → (worker, sent at)
        self._censuses: dict[str, list[dict[uuid.UUID, int]]] = {}
        self._census_done: dict[str, asyncio.Event] = {}
        self._pubsub: PubSub | None = None
        self._listener: asyncio.Task[None] | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False   # the loops' exit as well as cancellation (gateway.py says why)

    async def start(self) -> None:
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.subscribe(worker_channel(self._prefix, self._worker_id),
                                     workers_channel(self._prefix))
        # Called each time the subscription's connection is made again (after the pub/sub
        # connection's own callback has subscribed again).
        assert self._pubsub.connection is not None
        self._pubsub.connection.register_connect_callback(self._subscribed_again)
        loop = asyncio.get_running_loop()
        self._listener = loop.create_task(self._listen())
        self._watchdog = loop.create_task(self._watch_owners())

    async def stop(self) -> None:
        self._stopping = True
        for task in (self._watchdog, self._listener):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._pubsub is not None:
            # Said, not left to the closed connection: callers then see at once that this
            # worker is gone (and an in-process Redis keeps a closed client's subscriptions).
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await self._pubsub.unsubscribe()
            await self._pubsub.aclose()

    async def call(self, worker_id: str, command: RoomCommand[R]) -> R:
        """Run `command` on `worker_id` and return what its `run` returned there; OwnerGone
        when that worker is not (or no longer) there."""
        request_id = uuid.uuid4().hex
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        message = {"kind": "request", "id": request_id, "reply_to": self._worker_id,
                   "command": encode_command(command)}
        try:
            receivers = await self._redis.publish(worker_channel(self._prefix, worker_id),
                                                  msgpack.packb(message))
            if not receivers:
                raise OwnerGone(worker_id, delivered=False)
            self._waiting_on[request_id] = (worker_id, time.monotonic())
            reply = await asyncio.wait_for(future, CALL_TIMEOUT_S)
        except TimeoutError:
            raise RoomError("unavailable", "the room's server did not answer; try again",
                            retry_after_ms=500) from None
        finally:
            self._pending.pop(request_id, None)
            self._waiting_on.pop(request_id, None)
        error = reply.get("error")
        if error is not None:
            if isinstance(error, dict) and isinstance(error.get("code"), str):
                retry = error.get("retry_after_ms")
                raise RoomError(error["code"], str(error.get("message", "")),
                                retry_after_ms=retry if isinstance(retry, int) else None)
            raise RoomError("unavailable", "the room's server sent a reply this server cannot read")
        return decode_reply(command, reply.get("result"))

    async def connected(self, room_id: uuid.UUID) -> dict[uuid.UUID, int]:
        """rooms.ports.ConnectionCensus: a census of every worker."""
        return await self.census(room_id)

    async def census(self, room_id: uuid.UUID) -> dict[uuid.UUID, int]:
        """How many connections each player of the room has, on every worker that answers
        within CENSUS_TIMEOUT_S (this one included)."""
        census_id = uuid.uuid4().hex
        replies: list[dict[uuid.UUID, int]] = []
        done = asyncio.Event()
        self._censuses[census_id] = replies
        self._census_done[census_id] = done
        try:
            asked = await self._redis.publish(workers_channel(self._prefix), msgpack.packb(
                {"kind": "census", "id": census_id, "reply_to": self._worker_id,
                 "room_id": str(room_id)}))
            if asked:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(CENSUS_TIMEOUT_S):
                        while len(replies) < asked:
                            done.clear()
                            await done.wait()
            if len(replies) < asked:
                log.warning("census of room %s: %d of %d workers answered", room_id, len(replies), asked)
        finally:
            self._censuses.pop(census_id, None)
            self._census_done.pop(census_id, None)
        counts: dict[uuid.UUID, int] = {}
        for reply in replies:
            for player, n in reply.items():
                counts[player] = counts.get(player, 0) + n
        return counts

    async def _watch_owners(self) -> None:
        """Refuse, within about half a second, the requests pending on a worker that died: a
        dead worker's channel has no subscriber (its connection to Redis is gone)."""
        while not self._stopping:
            await asyncio.sleep(DEAD_CHECK_EVERY_S)
            now = time.monotonic()
            waiting = {rid: w for rid, (w, sent) in list(self._waiting_on.items())
                       if now - sent >= DEAD_CHECK_AFTER_S}
            if not waiting:
                continue
            workers = sorted(set(waiting.values()))
            try:
                numbers = await self._redis.pubsub_numsub(
                    *(worker_channel(self._prefix, w) for w in workers))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Redis itself is away: a reply would be lost with it. Refuse what is waiting
                # (the client resends the same attempt_id) rather than hold it CALL_TIMEOUT_S.
                log.warning("forwarding: cannot check the workers awaited (%s)", exc)
                for request_id in waiting:
                    future = self._pending.get(request_id)
                    if future is not None and not future.done():
                        future.set_exception(RoomError(
                            "unavailable", "the game servers cannot reach each other; send it again",
                            retry_after_ms=1000))
                continue
            gone = {w for w, (_, count) in zip(workers, numbers, strict=True) if not count}
            for request_id, worker in waiting.items():
                future = self._pending.get(request_id)
                if worker in gone and future is not None and not future.done():
                    future.set_exception(OwnerGone(worker, delivered=True))

    def _subscribed_again(self, _connection: object) -> None:
        """Redis restarted or failed over: replies published while this worker was not
        subscribed are lost, so its pending requests are refused now (resending is safe: an
        answer carries its attempt_id), not after CALL_TIMEOUT_S."""
        lost = [f for f in self._pending.values() if not f.done()]
        for future in lost:
            future.set_result({"error": {"code": "unavailable", "retry_after_ms": 200,
                                         "message": "the room's server may not have been heard; "
                                                    "try again"}})
        if lost:
            log.warning("forwarding: subscribed again after losing Redis; %d pending requests "
                        "refused for resending", len(lost))

    async def _listen(self) -> None:
        assert self._pubsub is not None
        while not self._stopping:
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
                self._receive(message["data"])
            except Exception as exc:  # whatever arrives, the listener goes on
                log.warning("forwarding listener: dropped an unreadable message (%s)", exc)

    def _receive(self, data: bytes) -> None:
        body = msgpack.unpackb(data)
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise ValueError("not a request or reply")
        kind = body.get("kind")
        if kind == "reply":
            future = self._pending.get(body["id"])
            if future is not None and not future.done():
                future.set_result(body)
        elif kind in ("request", "census"):
            if not isinstance(body.get("reply_to"), str):
                raise ValueError("a request with nowhere to reply")
            serve = self._serve(body) if kind == "request" else self._answer_census(body)
            task = asyncio.get_running_loop().create_task(serve)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif kind == "census_reply":
            replies = self._censuses.get(body["id"])
            counts = body.get("counts")
            if replies is not None and isinstance(counts, dict):
                replies.append({uuid.UUID(str(p)): int(n) for p, n in counts.items()})
                self._census_done[body["id"]].set()
        else:
            raise ValueError(f"unknown kind {kind!r}")

    async def _answer_census(self, body: dict[str, Any]) -> None:
        counts = {} if self._census is None else self._census(uuid.UUID(str(body.get("room_id"))))
        await self._reply(body["reply_to"], {"kind": "census_reply", "id": body["id"],
                                             "counts": {str(p): n for p, n in counts.items() if n}})

    async def _serve(self, body: dict[str, Any]) -> None:
        reply: dict[str, Any] = {"kind": "reply", "id": body["id"]}
        name = None
        try:
            command = decode_command(body.get("command"))
            name = command.NAME
            reply["result"] = encode_reply(command, await self._handler(command))
        except CommandRefused as exc:
            log.warning("forwarded command refused: %s", exc.message)
            reply["error"] = {"code": exc.code, "message": exc.message}
        except RoomError as exc:
            reply["error"] = {"code": exc.code, "message": exc.message}
            if exc.retry_after_ms is not None:
                reply["error"]["retry_after_ms"] = exc.retry_after_ms
        except Exception:
            log.exception("forwarded %s failed", name)
            reply["error"] = {"code": "internal_error", "message": "something went wrong"}
        await self._reply(body["reply_to"], reply)

    async def _reply(self, worker: str, body: dict[str, Any]) -> None:
        """Redis away: the asking worker times out and its client is told `unavailable`."""
        try:
            await self._redis.publish(worker_channel(self._prefix, worker), msgpack.packb(body))
        except (RedisError, OSError) as exc:
            log.warning("could not send a %s to worker %s (%s)", body["kind"].replace("_", " "),
                        worker, exc)
