"""Attempts stored one transaction each, by a pool of connections, for a fixed time: the
runner that bench.flow's per-attempt and plain modes share (they differ in what one
transaction does)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping

import asyncpg

from bench.common.cpu_meter import CpuMeter
from persistence.answer_flow import AttemptIn

StoreOne = Callable[[asyncpg.Connection, AttemptIn], Awaitable[object]]


async def run_one_by_one(url: str, attempts: list[AttemptIn], budget_s: float, meter: CpuMeter,
                         connections: int, store: StoreOne, *,
                         prepare: Callable[[asyncpg.Connection], Awaitable[object]] | None = None,
                         server_settings: Mapping[str, str] | None = None,
                         ) -> tuple[float, int, tuple[float, float | None]]:
    """`connections` workers take the attempts in order from one iterator and `store` each in
    its own transaction until `budget_s` has passed (one transaction per attempt is the slow
    way; a time budget keeps the run bounded). `prepare(conn)` runs first, off the clock;
    `server_settings` are the connections' PostgreSQL settings.
    Returns (committed attempts/s, committed attempts, CPU as CpuMeter.stop gives it)."""
    conns = [await asyncpg.connect(url, server_settings=dict(server_settings or {}))
             for _ in range(connections)]
    try:
        if prepare is not None:
            await prepare(conns[0])
        queue = iter(attempts)
        done = 0
        await meter.start()
        began = time.perf_counter()
        deadline = began + budget_s

        async def worker(conn: asyncpg.Connection) -> None:
            nonlocal done
            for a in queue:
                await store(conn, a)
                done += 1
                if time.perf_counter() > deadline:
                    return

        await asyncio.gather(*(worker(c) for c in conns))
        elapsed = time.perf_counter() - began
        cpu = await meter.stop()
    finally:
        for c in conns:
            await c.close()
    return done / elapsed, done, cpu
