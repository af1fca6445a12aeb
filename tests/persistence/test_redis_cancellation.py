"""A task cancelled while it waits on a Redis command must end with CancelledError: the
workers' background loops (lease renewal, forwarding, the probes) stop by cancellation at
shutdown, and a client library that swallows it leaves a worker that never exits (redis-py
8.0–8.2 did so for most cancellations, which pyproject.toml's bound keeps out)."""

from __future__ import annotations

import asyncio
import random

TRIALS = 100


async def test_a_cancelled_command_raises_cancelled_error_in_its_task(redis, redis_prefix):
    script = redis.register_script("return redis.call('GET', KEYS[1])")
    rng = random.Random(7)
    swallowed = 0
    for _ in range(TRIALS):
        async def loop() -> None:
            while True:
                await redis.get(f"{redis_prefix}:absent")
                await script(keys=[f"{redis_prefix}:absent"], args=[])
                current = asyncio.current_task()
                assert current is not None
                if current.cancelling():  # asked to stop, and the command said nothing
                    return

        task = asyncio.create_task(loop())
        await asyncio.sleep(rng.uniform(0, 0.005))
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=5)
        assert done, "a cancelled task went on waiting"
        if not task.cancelled():
            swallowed += 1
    assert swallowed == 0, f"{swallowed} of {TRIALS} cancellations were swallowed"
