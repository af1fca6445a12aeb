"""Which /play connections the failure limits may refuse, so that a school behind one address
is not refused for its successes and a script guessing codes is.

- Only failures count: a wrong code (and a forged rejoin token) per address, a wrong student
  key per address and per room. The failure that reaches a limit is answered `rate_limited`
  instead of its real refusal.
- Rejoin tokens are HMAC-signed and cannot be guessed: they are checked first, a valid one
  always gets back in, and no limit ever stops it (a class coming back after its worker went
  away must not wait).
- A join with a code is refused before it is tried while its address is past a limit, with
  one exception: a code the address already joined lately (its classmates got in, so the
  address knows the code; it is not guessing it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable
from typing import cast

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from rooms.keys import known_codes_key
from server.failure_limits import WRONG_JOIN_CODES, WRONG_STUDENT_KEYS, FailureLimits
from server.live.payloads import GuestJoin, Rejoin, StudentJoin

# As long as a finished game still answers `game_over` for its code.
KNOWN_CODE_TTL_S = 2 * 3600


class JoinGate:
    def __init__(self, limits: FailureLimits, redis: Redis, prefix: str) -> None:
        self._limits = limits
        self._redis = redis
        self._prefix = prefix

    def _known_key(self, address: str) -> str:
        return known_codes_key(self._prefix, hashlib.sha256(address.encode()).hexdigest()[:32])

    async def before(self, address: str, request: GuestJoin | StudentJoin | Rejoin) -> int | None:
        """Seconds to wait when this attempt must be refused before it is tried, else None."""
        if isinstance(request, Rejoin):
            return None
        wait = await self._limits.retry_after(WRONG_JOIN_CODES, address)
        if wait is not None:
            known = self._redis.sismember(self._known_key(address), request.code)
            if await cast("Awaitable[int]", known):
                wait = None
        if wait is None and isinstance(request, StudentJoin):
            wait = await self._limits.retry_after(WRONG_STUDENT_KEYS, address,
                                                  f"room-code:{request.code}")
        return wait

    async def failed(self, address: str, request: GuestJoin | StudentJoin | Rejoin,
                     refusal: str) -> int | None:
        """Count a failure; the seconds to wait when its subject is now past its limit."""
        if refusal == "room_not_found":  # an unknown code, or a forged rejoin token
            await self._limits.count(WRONG_JOIN_CODES, address)
            return await self._limits.retry_after(WRONG_JOIN_CODES, address)
        if refusal == "unauthorized" and isinstance(request, StudentJoin):
            subjects = (address, f"room-code:{request.code}")
            await self._limits.count(WRONG_STUDENT_KEYS, *subjects)
            return await self._limits.retry_after(WRONG_STUDENT_KEYS, *subjects)
        return None  # game over, room full, nickname taken…: not a guess

    def queue_joined(self, pipe: Pipeline, address: str, request: GuestJoin | StudentJoin | Rejoin) -> None:
        """The address knows the code now: its writes, on the caller's pipeline."""
        if isinstance(request, Rejoin):
            return
        key = self._known_key(address)
        pipe.sadd(key, request.code)
        pipe.expire(key, KNOWN_CODE_TTL_S)
