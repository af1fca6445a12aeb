"""Room leases and forwarding between workers, on the session's Redis."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from typing import Any

import msgpack
import pytest

from persistence.redis_client import create_redis
from rooms import commands
from rooms.cluster import (
    LEASE_MS,
    Forwarder,
    OwnerGone,
    RoomLeases,
    epoch_ms,
    owner_key,
    worker_channel,
)
from rooms.room import RoomError
from tests.support.private_services import PrivateRedis


async def test_one_owner_per_room_and_lost_leases_are_reported(redis, redis_prefix):
    a, b = RoomLeases(redis, redis_prefix, "a"), RoomLeases(redis, redis_prefix, "b")
    room = uuid.uuid4()
    assert await a.acquire(room) == ("a", None)
    assert await b.owner_of(room) == "a"
    assert await a.renew([room]) == []
    assert 0 < await redis.pttl(owner_key(redis_prefix, room)) <= LEASE_MS
    await redis.set(owner_key(redis_prefix, room), "b:1")  # a's lease expired and b took it
    assert await a.renew([room]) == [room]
    await a.release([room])  # not a's any more: must not touch b's lease
    assert await a.owner_of(room) == "b"
    await b.release([room])  # b shuts down: a tombstone dated now
    before = epoch_ms()
    owner, since = await a.acquire(room)
    assert owner == "a" and since is not None and before - 1_000 <= since <= before


async def test_redis_losing_a_lease_gives_it_back_to_its_renewing_owner(redis, redis_prefix):
    a = RoomLeases(redis, redis_prefix, "a")
    room = uuid.uuid4()
    await a.acquire(room)
    await redis.delete(owner_key(redis_prefix, room))  # FLUSHDB, a restart
    assert await a.renew([room]) == []
    assert await RoomLeases(redis, redis_prefix, "b").owner_of(room) == "a"


async def test_a_dead_owners_lease_is_buried_with_the_time_it_was_last_renewed(redis, redis_prefix):
    a, b = RoomLeases(redis, redis_prefix, "a"), RoomLeases(redis, redis_prefix, "b")
    room = uuid.uuid4()
    await a.acquire(room)
    renewed = int((await redis.get(owner_key(redis_prefix, room))).decode().split(":")[1])
    assert not await b.bury(room, "c")  # the lease does not name c
    assert await b.bury(room, "a")
    assert await b.acquire(room) == ("b", renewed)
    assert await a.owner_of(room) == "b"


async def owner_runs(command: commands.RoomCommand[Any]) -> Any:
    """What the owning worker does with a forwarded command (a game's stand-in)."""
    if isinstance(command, commands.SubmitAnswer):
        if command.answer == "late":
            raise RoomError("too_late", "time is up")
        return {"ok": True, "answer": command.answer, "attempt_id": str(command.attempt_id)}
    if isinstance(command, commands.Join):
        player_id = uuid.UUID(int=7)
        return commands.Welcome(command.room_id, player_id, {"nickname": command.nickname},
                                {"phase": "lobby", "question": None})
    if isinstance(command, commands.Disconnect):
        return None
    raise AssertionError(f"unexpected {command}")


@pytest.fixture
async def workers(redis, redis_prefix):
    owner = Forwarder(redis, redis_prefix, "owner", owner_runs)
    other = Forwarder(redis, redis_prefix, "other", owner_runs)
    await owner.start()
    await other.start()
    yield owner, other
    await other.stop()
    await owner.stop()


def answer(text: str) -> commands.SubmitAnswer:
    return commands.SubmitAnswer(uuid.uuid4(), uuid.uuid4(), index=0, answer=text,
                                 attempt_id=uuid.uuid4(), input_method="keyboard")


async def test_forwarded_commands_return_typed_results_and_refusals(workers):
    _, other = workers
    sent = answer("42")
    assert await other.call("owner", sent) == {"ok": True, "answer": "42",
                                               "attempt_id": str(sent.attempt_id)}
    room_id = uuid.uuid4()
    welcome = await other.call("owner", commands.Join(room_id, nickname="Ada"))
    assert welcome == commands.Welcome(room_id, uuid.UUID(int=7), {"nickname": "Ada"},
                                       {"phase": "lobby", "question": None})
    assert await other.call("owner", commands.Disconnect(room_id, uuid.uuid4())) is None
    with pytest.raises(RoomError) as refused:
        await other.call("owner", answer("late"))
    assert refused.value.code == "too_late"
    with pytest.raises(OwnerGone) as refused:
        await other.call("nobody", answer("42"))
    assert (refused.value.code, refused.value.delivered) == ("unavailable", False)


@dataclasses.dataclass(frozen=True)
class Teleport(commands.RoomCommand[commands.Payload]):
    """A command of a newer server that this one does not know."""

    NAME = "teleport"
    REPLY = commands.Payload
    room_id: uuid.UUID


@dataclasses.dataclass(frozen=True)
class AnswerV2(commands.SubmitAnswer):
    VERSION = 2


async def test_an_unknown_command_or_version_is_refused_cleanly(workers, caplog):
    _, other = workers
    for command in (Teleport(uuid.uuid4()),
                    AnswerV2(uuid.uuid4(), uuid.uuid4(), 0, "1", uuid.uuid4(), "keyboard")):
        with pytest.raises(RoomError) as refused:
            await other.call("owner", command)
        assert refused.value.code == "unavailable"
    refusals = [r for r in caplog.records if r.name == "rooms.cluster"]
    assert len(refusals) == 2 and all(r.exc_info is None for r in refusals)


async def test_unreadable_messages_never_stop_a_worker_from_serving(workers, redis, redis_prefix, caplog):
    _, other = workers
    channel = worker_channel(redis_prefix, "owner")
    for junk in (b"\xc1", msgpack.packb([1, 2]), msgpack.packb({"kind": "request", "id": 5}),
                 msgpack.packb({"kind": "request", "id": "x"}),  # nobody to reply to
                 msgpack.packb({"kind": "nonsense", "id": "x"})):
        await redis.publish(channel, junk)
    sent = answer("8")
    assert (await other.call("owner", sent))["answer"] == "8"
    dropped = [r for r in caplog.records if r.name == "rooms.cluster"]
    assert len(dropped) == 5 and all(r.exc_info is None for r in dropped)


async def test_a_request_pending_on_a_worker_that_dies_is_refused_within_a_second(redis, redis_prefix):
    async def never_answers(command):
        await asyncio.sleep(3600)

    mute = Forwarder(redis, redis_prefix, "mute", never_answers)
    asker = Forwarder(redis, redis_prefix, "asker", owner_runs)
    await mute.start()
    await asker.start()
    try:
        call = asyncio.create_task(asker.call("mute", answer("42")))
        await asyncio.sleep(0.3)
        await mute.stop()  # its Redis connection closes, as a killed process's does
        died = time.monotonic()
        with pytest.raises(OwnerGone) as refused:
            await call
        assert refused.value.delivered and refused.value.retry_after_ms == 500
        assert time.monotonic() - died < 1.0
    finally:
        await asker.stop()


async def test_requests_pending_when_the_subscription_is_lost_are_refused_at_once(redis, redis_prefix):
    """A Redis failover or restart drops the asker's subscription: a reply published before it
    subscribes again is lost, so what it was waiting for is refused for resending."""
    async def never_answers(command):
        await asyncio.sleep(3600)

    mute = Forwarder(redis, redis_prefix, "mute", never_answers)
    asker = Forwarder(redis, redis_prefix, "asker", owner_runs)
    await mute.start()
    await asker.start()
    try:
        call = asyncio.create_task(asker.call("mute", answer("42")))
        await asyncio.sleep(0.3)
        assert not call.done()
        await asker._pubsub.connection.disconnect()  # as when Redis goes away
        lost = time.monotonic()
        with pytest.raises(RoomError) as refused:
            await call
        assert refused.value.code == "unavailable" and refused.value.retry_after_ms == 200
        assert time.monotonic() - lost < 2.0
        # Subscribed again: the asker hears replies as before.
        mute_stopped = mute.stop()
        await mute_stopped
        other = Forwarder(redis, redis_prefix, "other", owner_runs)
        await other.start()
        try:
            assert (await asker.call("other", answer("7")))["answer"] == "7"
        finally:
            await other.stop()
    finally:
        await asker.stop()


async def test_a_census_adds_up_every_workers_connections(redis, redis_prefix):
    room, ada, bo = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    here = {room: {ada: 1}}
    there = {room: {ada: 1, bo: 2}}
    a = Forwarder(redis, redis_prefix, "a", owner_runs, census=lambda r: here.get(r, {}))
    b = Forwarder(redis, redis_prefix, "b", owner_runs, census=lambda r: there.get(r, {}))
    await a.start()
    await b.start()
    try:
        assert await a.connected(room) == {ada: 2, bo: 2}
        assert await b.connected(uuid.uuid4()) == {}
    finally:
        await b.stop()
        await a.stop()


async def test_a_reply_that_cannot_be_sent_is_one_warning_and_the_worker_serves_on(caplog):
    """Redis goes away while the owner runs a forwarded command: the asker is refused for
    resending, the owner logs one line (no task dies with an unretrieved exception), and both
    serve as before once Redis is back."""
    server = await PrivateRedis.create()
    clients = [create_redis(server.url) for _ in range(2)]
    redis_gone = asyncio.Event()

    async def runs_while_redis_goes(command: commands.RoomCommand[Any]) -> Any:
        if isinstance(command, commands.SubmitAnswer) and command.answer == "outage":
            await server.stop()
            redis_gone.set()
        return await owner_runs(command)

    owner = Forwarder(clients[0], "cluster", "owner", runs_while_redis_goes)
    asker = Forwarder(clients[1], "cluster", "asker", owner_runs)
    await owner.start()
    await asker.start()
    try:
        with pytest.raises(RoomError) as refused:
            await asker.call("owner", answer("outage"))
        assert refused.value.code == "unavailable"
        assert redis_gone.is_set()
        await server.start()
        for _ in range(100):   # both subscriptions come back
            try:
                assert (await asker.call("owner", answer("5")))["answer"] == "5"
                break
            except RoomError:
                await asyncio.sleep(0.1)
        else:
            raise AssertionError("the owner did not serve again after Redis came back")
        unsent = [r for r in caplog.records if r.name == "rooms.cluster"
                  and r.getMessage().startswith("could not send a reply")]
        assert len(unsent) == 1 and unsent[0].exc_info is None
    finally:
        await asker.stop()
        await owner.stop()
        for client in clients:
            await client.aclose()
        await server.stop()
