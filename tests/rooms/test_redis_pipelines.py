"""Many coroutines' commands in one pipeline, each caller with exactly its own replies and
its own errors (the test Redis, or in-process with the embedded defaults)."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from rooms.redis_pipelines import PipelineBatcher


def _count_pipelines(redis: Redis) -> list[int]:
    """How many pipelines the client was asked for (each is one round trip)."""
    made = [0]
    pipeline = redis.pipeline

    def counted(*args, **kwargs):
        made[0] += 1
        return pipeline(*args, **kwargs)

    redis.pipeline = counted  # type: ignore[method-assign]
    return made


async def test_callers_in_one_turn_share_one_pipeline_and_each_gets_its_own_replies(redis, redis_prefix):
    made = _count_pipelines(redis)
    batcher = PipelineBatcher(redis)
    keys = [f"{redis_prefix}:batch:{i}" for i in range(20)]

    async def one(key: str, value: int) -> list:
        return await batcher.run(lambda pipe: (pipe.set(key, value), pipe.incrby(key, 1), pipe.get(key)))

    replies = await asyncio.gather(*(one(key, i) for i, key in enumerate(keys)))
    assert [r[1:] for r in replies] == [[i + 1, str(i + 1).encode()] for i in range(20)]
    assert made[0] == 1


async def test_callers_queued_while_a_pipeline_is_out_go_together_in_the_next(redis, redis_prefix):
    made = _count_pipelines(redis)
    batcher = PipelineBatcher(redis)
    key = f"{redis_prefix}:batch:counter"
    first = asyncio.create_task(batcher.run(lambda pipe: pipe.incr(key)))
    await asyncio.sleep(0)  # the first pipeline is out
    later = [asyncio.create_task(batcher.run(lambda pipe: pipe.incr(key))) for _ in range(10)]
    results = [await first] + [await task for task in later]
    assert sorted(r[0] for r in results) == list(range(1, 12))
    assert made[0] == 2


async def test_a_failing_command_fails_only_its_caller(redis, redis_prefix):
    batcher = PipelineBatcher(redis)
    text, number = f"{redis_prefix}:batch:text", f"{redis_prefix}:batch:number"
    await redis.set(text, "not a number")
    wrong = batcher.run(lambda pipe: (pipe.incr(number), pipe.incr(text)))
    right = batcher.run(lambda pipe: pipe.incr(number))
    outcome = await asyncio.gather(wrong, right, return_exceptions=True)
    assert isinstance(outcome[0], ResponseError)
    assert outcome[1] == [2]  # the failing caller's other command still ran


async def test_a_caller_whose_queueing_raises_gets_its_error_and_queues_nothing(redis, redis_prefix):
    batcher = PipelineBatcher(redis)
    key = f"{redis_prefix}:batch:untouched"

    def broken(pipe) -> None:
        pipe.set(key, 1)
        raise ValueError("a bad argument")

    with pytest.raises(ValueError):
        await batcher.run(broken)
    assert await batcher.run(lambda pipe: pipe.exists(key)) == [0]


async def test_a_lost_connection_fails_every_caller_of_that_pipeline():
    unreachable = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    batcher = PipelineBatcher(unreachable)
    outcome = await asyncio.gather(*(batcher.run(lambda pipe: pipe.ping()) for _ in range(3)),
                                   return_exceptions=True)
    assert all(isinstance(o, RedisConnectionError) for o in outcome)
    await unreachable.aclose()


async def test_a_cancelled_caller_leaves_the_others_and_its_commands_still_run(redis, redis_prefix):
    batcher = PipelineBatcher(redis)
    key = f"{redis_prefix}:batch:cancelled"
    cancelled = asyncio.create_task(batcher.run(lambda pipe: pipe.set(key, "sent")))
    other = asyncio.create_task(batcher.run(lambda pipe: pipe.incr(f"{redis_prefix}:batch:other")))
    await asyncio.sleep(0)
    cancelled.cancel()
    assert await other == [1]
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    await batcher.drain()
    assert await redis.get(key) == b"sent"
