"""Room leases and forwarding between workers, on the session's Redis."""

from __future__ import annotations

import uuid

import pytest

from rooms.cluster import Forwarder, RoomLeases, owner_key
from rooms.room import RoomError


async def test_one_owner_per_room_and_lost_leases_are_reported(redis, redis_prefix):
    a, b = RoomLeases(redis, redis_prefix, "a"), RoomLeases(redis, redis_prefix, "b")
    room = uuid.uuid4()
    assert await a.owner_of(room) == "a"
    assert await b.owner_of(room) == "a"
    assert await a.renew([room]) == []
    assert 0 < await redis.pttl(owner_key(redis_prefix, room)) <= 10_000
    await redis.set(owner_key(redis_prefix, room), "b")  # a's lease expired and b took it
    assert await a.renew([room]) == [room]
    await a.release(room)  # not a's any more: must not delete b's lease
    assert await a.owner_of(room) == "b"
    await b.release(room)
    assert await a.owner_of(room) == "a"


async def test_forwarded_calls_return_results_and_errors(redis, redis_prefix):
    async def handler(op: str, args: dict) -> dict:
        if op == "fail":
            raise RoomError("too_late", "time is up")
        return {"op": op, "echo": args["x"]}

    server = Forwarder(redis, redis_prefix, "owner", handler)
    client = Forwarder(redis, redis_prefix, "other", handler)
    await server.start()
    await client.start()
    try:
        assert await client.call("owner", "answer", {"x": [1, "two", None]}) == \
            {"op": "answer", "echo": [1, "two", None]}
        with pytest.raises(RoomError) as refused:
            await client.call("owner", "fail", {})
        assert refused.value.code == "too_late"
        with pytest.raises(RoomError) as refused:
            await client.call("nobody", "answer", {"x": 1})
        assert refused.value.code == "unavailable"
    finally:
        await client.stop()
        await server.stop()
