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
  address knows the code; it is not guessing it). A worker remembers the codes it saw each
  address join, so a class behind one address asks Redis about its code once per worker, not
  once per student: the answer for a known code is "go ahead" whatever the count.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable
from typing import cast

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from rooms.keys import known_codes_key
from server.failure_limits import WRONG_JOIN_CODES, WRONG_STUDENT_KEYS, FailureLimits
from server.live.payloads import GuestJoin, Rejoin, StudentJoin

# As long as a finished game still answers `game_over` for its code.
KNOWN_CODE_TTL_S = 2 * 3600
# The (address, code) pairs a worker remembers: a school's worth of classes many times over;
# past it the oldest are forgotten and asked of Redis again.
KNOWN_HERE_MAX = 20_000


class JoinGate:
    def __init__(self, limits: FailureLimits, redis: Redis, prefix: str, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits
        self._redis = redis
        self._prefix = prefix
        self._clock = clock
        # (address hash, code) → when this worker last saw the address join the code: what
        # Redis's known codes would answer for it, as Redis keeps each pair at least as long
        # (its TTL restarts at every join). Only a Redis that lost its data, or missed the
        # write while away, forgets sooner; the address did join that code all the same.
        self._known_here: dict[tuple[str, str], float] = {}

    def _address_hash(self, address: str) -> str:
        return hashlib.sha256(address.encode()).hexdigest()[:32]

    def _known_key(self, address: str) -> str:
        return known_codes_key(self._prefix, self._address_hash(address))

    def _knows_here(self, address: str, code: str) -> bool:
        seen = self._known_here.get((self._address_hash(address), code))
        return seen is not None and self._clock() - seen < KNOWN_CODE_TTL_S

    async def before(self, address: str, request: GuestJoin | StudentJoin | Rejoin) -> int | None:
        """Seconds to wait when this attempt must be refused before it is tried, else None."""
        if isinstance(request, Rejoin):
            return None
        if self._knows_here(address, request.code):
            wait = None
        else:
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
        address_hash = self._address_hash(address)
        pair = (address_hash, request.code)
        self._known_here.pop(pair, None)  # to the end: the dict stays oldest first
        self._known_here[pair] = self._clock()
        if len(self._known_here) > KNOWN_HERE_MAX:
            del self._known_here[next(iter(self._known_here))]
        key = known_codes_key(self._prefix, address_hash)
        pipe.sadd(key, request.code)
        pipe.expire(key, KNOWN_CODE_TTL_S)
