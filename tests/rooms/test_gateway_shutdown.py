"""A worker's shutdown ends even when a library swallows the cancellation of its lease
renewal (redis-py 8.0–8.2 did, most of the time): the renewal loop also stops on the
gateway's own flag."""

from __future__ import annotations

import asyncio
import random

import fakeredis

from rooms.cluster import RENEW_EVERY_S, Forwarder, RoomLeases
from rooms.gateway import RoomGateway
from rooms.generation import RedisGeneration
from rooms.leaderboard import Leaderboards
from rooms.registry import RoomRegistry
from tests.support.fake_clock import FakeClock
from tests.support.memory_answers import InMemoryAnswerWriter
from tests.support.memory_room_store import InMemoryRoomStore
from tests.support.recording_broadcaster import RecordingBroadcaster


class SwallowingGeneration(RedisGeneration):
    """A check that, like a client library with that bug, eats the cancellation it gets."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.swallowed = 0

    async def check(self) -> bool:
        try:
            await asyncio.sleep(RENEW_EVERY_S * 4)
        except asyncio.CancelledError:
            if self.swallowed:   # once only, so the test can still clean up when it fails
                raise
            self.swallowed += 1
        return False


async def test_leaving_ends_although_the_renewal_swallowed_its_cancellation():
    redis = fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer())
    store, clock = InMemoryRoomStore(), FakeClock()
    generation = SwallowingGeneration(redis, "test")
    registry = RoomRegistry(store=store, writer=InMemoryAnswerWriter(store),
                            boards=Leaderboards(redis, "test", generation),
                            broadcaster=RecordingBroadcaster(), clock=clock, scheduler=clock,
                            rng=random.Random(1))
    gateway = RoomGateway(registry, RoomLeases(redis, "test", "w1"), generation)
    await gateway.start(Forwarder(redis, "test", "w1", gateway.run_forwarded))
    try:
        await asyncio.sleep(RENEW_EVERY_S * 1.5)   # the renewal is inside its check now
        stopping = asyncio.create_task(gateway.stop())
        done, _ = await asyncio.wait([stopping], timeout=RENEW_EVERY_S * 8)
        if not done:
            gateway._renewer.cancel()  # type: ignore[union-attr]  # the second one is not eaten
            await stopping
        assert done, "the worker's shutdown waited on a renewal loop that never ended"
        assert generation.swallowed == 1
    finally:
        await redis.aclose()
