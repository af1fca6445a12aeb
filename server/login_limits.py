"""Login attempts counted per username and per address in Redis, so limits hold across workers.

Fixed windows: the first attempt starts a window of `window_s` seconds; past the limit every
further attempt in that window is refused before any password is checked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from redis.asyncio import Redis


@dataclass(frozen=True)
class LoginLimits:
    per_username: int = 10
    per_address: int = 30
    window_s: int = 15 * 60
    # Sign-ups cost an argon2 hash each: an address may create this many accounts per window.
    signups_per_address: int = 10


class LoginLimiter:
    def __init__(self, redis: Redis, prefix: str, limits: LoginLimits) -> None:
        self._redis = redis
        self._prefix = prefix
        self._limits = limits

    def _username_key(self, username: str) -> str:
        # Hashed so arbitrary user input never becomes part of a key name.
        digest = hashlib.sha256(username.encode("utf-8")).hexdigest()[:32]
        return f"{self._prefix}:login:user:{digest}"

    def _address_key(self, address: str) -> str:
        digest = hashlib.sha256(address.encode("utf-8")).hexdigest()[:32]
        return f"{self._prefix}:login:addr:{digest}"

    async def attempt(self, username: str, address: str) -> int | None:
        """Count one attempt; None when it may proceed, else seconds until it may retry."""
        user_key, addr_key = self._username_key(username), self._address_key(address)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(user_key)
            pipe.expire(user_key, self._limits.window_s, nx=True)
            pipe.incr(addr_key)
            pipe.expire(addr_key, self._limits.window_s, nx=True)
            pipe.ttl(user_key)
            pipe.ttl(addr_key)
            user_count, _, addr_count, _, user_ttl, addr_ttl = await pipe.execute()
        waits = []
        if user_count > self._limits.per_username:
            waits.append(user_ttl)
        if addr_count > self._limits.per_address:
            waits.append(addr_ttl)
        return max(1, *waits) if waits else None

    async def sign_up_attempt(self, address: str) -> int | None:
        """Count one sign-up; None when it may proceed, else seconds until it may retry."""
        key = f"{self._prefix}:signup:addr:{hashlib.sha256(address.encode()).hexdigest()[:32]}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, self._limits.window_s, nx=True)
            pipe.ttl(key)
            count, _, ttl = await pipe.execute()
        return max(1, ttl) if count > self._limits.signups_per_address else None

    async def succeeded(self, username: str) -> None:
        """A correct password clears its username's count (the address keeps counting)."""
        await self._redis.delete(self._username_key(username))
