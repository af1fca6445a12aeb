"""argon2 hashing: verification, rehash on new parameters, unknown users cost a verification."""

from __future__ import annotations

from argon2 import PasswordHasher

from server.passwords import Passwords

FAST = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


class CountingHasher(PasswordHasher):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.verifications = 0

    def verify(self, hash, password):
        self.verifications += 1
        return super().verify(hash, password)


async def test_verify_and_rehash():
    old = await Passwords(FAST).hash("pw-123456")
    newer = Passwords(PasswordHasher(time_cost=2, memory_cost=128, parallelism=1))
    verdict = await newer.verify(old, "pw-123456")
    assert verdict.ok and verdict.new_hash and verdict.new_hash != old
    assert (await newer.verify(verdict.new_hash, "pw-123456")).new_hash is None
    assert not (await newer.verify(old, "wrong")).ok
    assert not (await newer.verify("not-a-hash", "pw-123456")).ok


async def test_an_unknown_user_costs_a_real_verification():
    hasher = CountingHasher(time_cost=1, memory_cost=64, parallelism=1)
    passwords = Passwords(hasher)
    await passwords.prepare()
    verdict = await passwords.verify_unknown_user("anything")
    assert not verdict.ok and hasher.verifications == 1
    assert not (await passwords.verify_unknown_user("not the password of anybody")).ok
