"""What one round trip to PostgreSQL costs, in CPU of the backend and of this process.

    python -m bench.flow.round_trips [--count 3000] [--rounds 3]

Each kind runs `--count` times on one connection, the kinds interleaved round by round:
`SELECT 1`, and SQLAlchemy's `pool_pre_ping` check as its asyncpg dialect sends it outside a
transaction (BEGIN, an empty query, ROLLBACK). The answer writer checks out a connection per
batch without that ping (persistence/database.py); this measures what that saves a batch.
Needs PostgreSQL on this machine, its backends visible in /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import asyncpg

from bench.common.machine import load_average
from bench.common.postgres import server_url
from bench.common.procstat import cpu_ns


async def _select_one(conn: asyncpg.Connection) -> None:
    await conn.fetchval("SELECT 1")


async def _pool_pre_ping(conn: asyncpg.Connection) -> None:
    # sqlalchemy/dialects/postgresql/asyncpg.py, AsyncAdapt_asyncpg_connection._async_ping
    transaction = conn.transaction()
    await transaction.start()
    try:
        await conn.fetchrow(";")
    finally:
        await transaction.rollback()


KINDS = {"SELECT 1": _select_one, "pool_pre_ping": _pool_pre_ping}


async def main(args: argparse.Namespace) -> None:
    conn = await asyncpg.connect(server_url())
    pid = conn.get_server_pid()
    backend: dict[str, list[float]] = {kind: [] for kind in KINDS}
    python: dict[str, list[float]] = {kind: [] for kind in KINDS}
    wall: dict[str, list[float]] = {kind: [] for kind in KINDS}
    try:
        for _ in range(args.rounds):
            for kind, run in KINDS.items():
                backend_before, python_before = cpu_ns(pid), time.process_time()
                began = time.perf_counter()
                for _ in range(args.count):
                    await run(conn)
                wall[kind].append((time.perf_counter() - began) / args.count * 1e6)
                python[kind].append((time.process_time() - python_before) / args.count * 1e6)
                backend[kind].append((cpu_ns(pid) - backend_before) / args.count / 1e3)
    finally:
        await conn.close()
    print(f"{args.count} of each, {args.rounds} rounds, medians; load average {load_average()}")
    for kind in KINDS:
        print(f"  {kind:14s} PostgreSQL {statistics.median(backend[kind]):6.1f} µs, Python "
              f"{statistics.median(python[kind]):6.1f} µs, wall {statistics.median(wall[kind]):6.0f} µs")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    cli()
