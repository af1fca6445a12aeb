"""Failure limits: wrong join codes, wrong student keys and wrong passwords, counted per
client address and per target, in one place for HTTP and Socket.IO.

Schools reach the server from one address (NAT), so successes are never counted: a class of
300 joining rooms or signing in with their keys costs nothing here. Only failures are, in a
moving window (the `limits` package: in Redis with REDIS_URL set, so every worker shares the
count; in this process's memory otherwise, where there is one worker). An address or target
over its limit is refused before its credential is checked, with the seconds until one more
attempt is allowed. Sign-ups are the one exception: each is an account and an argon2 hash,
so they are counted whether they succeed or not.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

from server.errors import ApiError


@dataclass(frozen=True)
class Limit:
    """At most `amount` counted events per `per_s` seconds, for each subject."""

    name: str
    amount: int
    per_s: int
    item: RateLimitItem = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "item", RateLimitItemPerSecond(self.amount, self.per_s,
                                                                namespace=self.name))


# Join codes are 6 digits: 1,000,000 codes. At 50 wrong codes a minute, finding one given
# open room takes 10,000 minutes (about a week) on average from one address
# (docs/operations.md). A class mistyping its code stays far below it.
WRONG_JOIN_CODES = Limit("wrong_join_codes", 50, 60)
# Student keys are 8 characters of 31 (8.5 × 10^11). A school of 1,000 mistyping one key in
# ten stays under this; a guesser gets 1,200 keys an hour. Per address, and per room for
# keys typed with a join code.
WRONG_STUDENT_KEYS = Limit("wrong_student_keys", 300, 15 * 60)
WRONG_PASSWORDS_PER_ADDRESS = Limit("wrong_passwords_per_address", 30, 15 * 60)
# Per username: a correct password clears it.
WRONG_PASSWORDS_PER_USERNAME = Limit("wrong_passwords_per_username", 10, 15 * 60)
# Wrong screen keys of a projector connection (a room's code plus its secret screen key).
WRONG_SCREEN_KEYS = Limit("wrong_screen_keys", 20, 15 * 60)
SIGN_UPS = Limit("sign_ups", 20, 15 * 60)


def _subject(subject: str) -> str:
    # Hashed so arbitrary client input (a username, an address) never becomes key text.
    return hashlib.sha256(subject.encode("utf-8")).hexdigest()[:32]


class FailureLimits:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._limiter = MovingWindowRateLimiter(storage)

    async def retry_after(self, limit: Limit, *subjects: str) -> int | None:
        """None while every subject is under `limit`; else whole seconds until the fullest
        one may try again (at least 1)."""
        waits = []
        for subject in subjects:
            key = _subject(subject)
            if not await self._limiter.test(limit.item, key):
                stats = await self._limiter.get_window_stats(limit.item, key)
                waits.append(max(1, math.ceil(stats.reset_time - time.time())))
        return max(waits) if waits else None

    async def count(self, limit: Limit, *subjects: str) -> None:
        """One failure (or one sign-up) for each subject."""
        for subject in subjects:
            await self._limiter.hit(limit.item, _subject(subject))

    async def forget(self, limit: Limit, subject: str) -> None:
        await self._limiter.clear(limit.item, _subject(subject))


def create_storage(redis_url: str | None, redis_prefix: str, app_redis: Redis) -> Storage:
    if redis_url:
        # The app's own connection pool: no second set of connections to Redis, and with a
        # redis+sentinel:// URL the limits follow a failover as the app does (limits' own
        # RedisSentinelStorage would ask the Sentinels through a client of its own).
        return RedisStorage("async+redis://", implementation="redispy",
                            key_prefix=f"{redis_prefix}:limits",
                            # limits types its storage options as scalars; a redis-py pool is
                            # what its documentation passes here.
                            connection_pool=app_redis.connection_pool)  # type: ignore[arg-type]
    return MemoryStorage()


def rate_limited(retry_after: int, message: str) -> ApiError:
    """The 429 every HTTP limit answers, with Retry-After in seconds."""
    return ApiError(429, "rate_limited", message, headers={"Retry-After": str(retry_after)})
