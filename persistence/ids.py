"""Time-ordered UUIDs (the UUIDv7 layout of RFC 9562) for rows the server creates in bulk.

A random UUID primary key sends every insert to a random page of its index: each page a
batch touches costs a full-page image in the WAL after every checkpoint and competes for the
cache. Keys that grow with time are appended at the right edge of the index instead.
"""

from __future__ import annotations

import os
import time
import uuid


def time_ordered_uuid() -> uuid.UUID:
    """48 bits of Unix milliseconds, version 7, variant 10, 74 random bits."""
    millis = time.time_ns() // 1_000_000
    random_bits = int.from_bytes(os.urandom(10), "big")
    rand_a = random_bits >> 68                  # 12 bits
    rand_b = random_bits & ((1 << 62) - 1)      # 62 bits
    return uuid.UUID(int=(millis << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b)
