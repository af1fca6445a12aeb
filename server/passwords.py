"""argon2id password hashing, run in a worker thread so the event loop never waits on it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@dataclass(frozen=True)
class Verdict:
    ok: bool
    # Set when the stored hash used older parameters: store this one instead.
    new_hash: str | None = None


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None, *, max_concurrent: int = 2) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None
        # Each argon2 call holds memory_cost (64 MiB by default) for its duration; a burst of
        # logins must queue here rather than run all at once and exhaust memory.
        self._slots = asyncio.Semaphore(max_concurrent)

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored_hash: str, password: str) -> Verdict:
        async with self._slots:
            return await asyncio.to_thread(self._verify, stored_hash, password)

    async def prepare(self) -> None:
        """Make the dummy hash ahead of the first login, so that one is not slower either."""
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash("not the password of anybody")

    async def verify_unknown_user(self, password: str) -> Verdict:
        """As long as a real verification, so a login does not reveal whether a username exists."""
        await self.prepare()
        assert self._dummy_hash is not None
        await self.verify(self._dummy_hash, password)
        return Verdict(ok=False)

    def _verify(self, stored_hash: str, password: str) -> Verdict:
        try:
            self._hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return Verdict(ok=False)
        if self._hasher.check_needs_rehash(stored_hash):
            return Verdict(ok=True, new_hash=self._hasher.hash(password))
        return Verdict(ok=True)
