"""The Socket.IO Redis manager tells the worker when its subscription is back after Redis
restarted, and by then it hears what is published again (a real redis-server, restarted)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import pytest
from redis.asyncio import Redis

from persistence.redis_client import resend_options
from server.live.redis_manager import RETRY_CAP_S, ResubscribingRedisManager
from tests.support.private_services import PrivateRedis

CHANNEL = "mathrally-test:socketio"


async def subscribers(url: str) -> int:
    client = Redis.from_url(url)
    try:
        return dict(await client.pubsub_numsub(CHANNEL)).get(CHANNEL.encode(), 0)
    finally:
        await client.aclose()


async def publish(url: str, data: bytes) -> None:
    client = Redis.from_url(url)
    try:
        await client.publish(CHANNEL, data)
    finally:
        await client.aclose()


async def eventually(check, within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while not await check():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.05)


# Without retries a broken connection ends the listener's subscription and it subscribes
# again itself; with the resend options (a Sentinel deployment's, whose connections also follow
# the primary: tests/deploy/test_sentinel.py) redis-py reconnects inside its retries and
# subscribes again through its connect callback.
@pytest.mark.parametrize(("down_s", "options"), [
    (0.2, None), (3.0, None), (0.2, "resend"),
], ids=["short", "long", "short-with-retries"])
async def test_the_subscription_comes_back_with_a_callback_and_hears_again(down_s, options, caplog):
    redis = await PrivateRedis.create()
    manager = ResubscribingRedisManager(redis.url, channel=CHANNEL, logger=logging.getLogger("test"),
                                        redis_options=resend_options() if options else None)
    back: list[float] = []

    async def on_back() -> None:
        back.append(time.monotonic())

    manager.on_resubscribed(on_back)
    received: list[bytes] = []

    async def listen() -> None:
        async for data in manager._listen():
            received.append(data)

    listener = asyncio.create_task(listen())
    try:
        await eventually(lambda: _truthy(subscribers(redis.url)))
        await publish(redis.url, b"before")
        await eventually(lambda: _now(b"before" in received))
        assert not back  # the first subscription is no "again"

        await redis.restart(down_s=down_s)
        restarted = time.monotonic()
        await eventually(lambda: _now(bool(back)), within_s=RETRY_CAP_S + 5)
        assert back[0] - restarted < RETRY_CAP_S + 1.0
        await publish(redis.url, b"after")  # subscribed again before the callback ran
        await eventually(lambda: _now(b"after" in received), within_s=2.0)
        how = "(reconnected)" if options else "(subscribed again)"
        assert any(how in r.getMessage() for r in caplog.records if r.name == "server.live.redis_manager")
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        await manager.stop_callbacks()
        await manager.pubsub.aclose()
        await manager.redis.aclose()
        await redis.stop()


async def _truthy(value) -> bool:
    return bool(await value)


async def _now(value: bool) -> bool:
    return value
