"""Time-ordered UUIDs (the UUIDv7 layout of RFC 9562) for rows the server creates in bulk.

A random UUID primary key sends every insert to a random page of its index: each page a
batch touches costs a full-page image in the WAL after every checkpoint and competes for the
cache. Keys that grow with time are appended at the right edge of the index instead.
"""

from __future__ import annotations

import os
import time
import uuid

_VERSION_AND_VARIANT = (0x7 << 76) | (0b10 << 62)
_RAND_B = (1 << 62) - 1


def time_ordered_uuid() -> uuid.UUID:
    """48 bits of Unix milliseconds, version 7, variant 10, 74 random bits."""
    return uuid.UUID(int=time_ordered_ints(1)[0])


def time_ordered_ints(count: int) -> list[int]:
    """`count` time-ordered UUIDs as 128-bit ints (the writer makes them by the batch: one
    clock read and one os.urandom call for all, instead of one each)."""
    prefix = ((time.time_ns() // 1_000_000) << 80) | _VERSION_AND_VARIANT
    random_bytes = os.urandom(10 * count)
    out = []
    for start in range(0, 10 * count, 10):
        random_bits = int.from_bytes(random_bytes[start:start + 10], "big")
        # rand_a: the top 12 random bits, in bits 64–75; rand_b: the low 62, in bits 0–61.
        out.append(prefix | ((random_bits >> 68) << 64) | (random_bits & _RAND_B))
    return out


def time_ordered_uuids(count: int) -> list[uuid.UUID]:
    return [uuid.UUID(int=n) for n in time_ordered_ints(count)]
