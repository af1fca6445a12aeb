"""The join gate remembers the codes it saw an address join: a class behind one address
passes the failure limit's check once per worker, not once per student, while an address
past its limit still cannot try a code it never joined."""

from __future__ import annotations

import pytest

from server.failure_limits import WRONG_JOIN_CODES, FailureLimits, Limit, create_storage
from server.live import join_gate
from server.live.join_gate import KNOWN_CODE_TTL_S, JoinGate
from server.live.payloads import GuestJoin

SCHOOL = "203.0.113.7"


class CountingLimits(FailureLimits):
    """The real limits, counting how often the gate asks them."""

    asked = 0

    async def retry_after(self, limit: Limit, *subjects: str) -> int | None:
        self.asked += 1
        return await super().retry_after(limit, *subjects)


@pytest.fixture
def limits(redis, redis_url, redis_prefix) -> CountingLimits:
    return CountingLimits(create_storage(redis_url, redis_prefix, redis))


async def join(gate: JoinGate, redis, code: str, nickname: str) -> int | None:
    """`before`, and when it lets the student in, what a successful join records."""
    request = GuestJoin(code=code, nickname=nickname)
    wait = await gate.before(SCHOOL, request)
    if wait is None:
        async with redis.pipeline(transaction=False) as pipe:
            gate.queue_joined(pipe, SCHOOL, request)
            await pipe.execute()
    return wait


async def test_a_class_is_checked_once_and_a_guesser_past_the_limit_stays_refused(limits, redis,
                                                                                   redis_prefix):
    gate = JoinGate(limits, redis, redis_prefix)
    for i in range(30):
        assert await join(gate, redis, "123456", f"S{i}") is None
    assert limits.asked == 1

    for _ in range(WRONG_JOIN_CODES.amount):
        await limits.count(WRONG_JOIN_CODES, SCHOOL)
    assert await join(gate, redis, "123456", "Late") is None  # known: not even asked
    assert limits.asked == 1
    guess = await gate.before(SCHOOL, GuestJoin(code="654321", nickname="Guess"))
    assert guess is not None and guess >= 1

    # Another worker has not seen the class join: it asks, and Redis's known codes let it in.
    other = JoinGate(limits, redis, redis_prefix)
    assert await join(other, redis, "123456", "Elsewhere") is None
    assert limits.asked == 3


async def test_a_remembered_code_is_asked_again_once_redis_has_forgotten_it(limits, redis,
                                                                           redis_prefix, monkeypatch):
    now = [1000.0]
    gate = JoinGate(limits, redis, redis_prefix, clock=lambda: now[0])
    await join(gate, redis, "123456", "Ada")
    await join(gate, redis, "123456", "Bo")
    assert limits.asked == 1
    now[0] += KNOWN_CODE_TTL_S
    await join(gate, redis, "123456", "Cy")
    assert limits.asked == 2

    # A full memory forgets its oldest pair first.
    monkeypatch.setattr(join_gate, "KNOWN_HERE_MAX", 2)
    await join(gate, redis, "222222", "Di")
    await join(gate, redis, "333333", "Ed")  # 123456 is forgotten here
    assert limits.asked == 4
    await join(gate, redis, "333333", "Flo")
    await join(gate, redis, "123456", "Gus")
    assert limits.asked == 5
