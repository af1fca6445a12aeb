"""The most the writer could do on this machine: the flow's writes alone, replayed.

    python -m bench.flow.ceiling [--attempts 20000] [--users 2000] [--rounds 3]
                                 [--batch 500] [--in-flight 2] [--seed-only] [--plain]
                                 [--no-writer]

First it runs `commit_batch` (persistence/flow_batch.py) once over bench.flow's workload
(bench/flow/workload.py) in batches of `--batch` and records what each batch sends that writes
or locks: the `lock_users` lock (and the creation of missing statistics rows) and the one
statement of steps 1–5 and the session counters, with their parameters as sent. Then, each
round on a fresh copy of the same seeded database, it replays only that: `--in-flight`
connections, each taking the next recorded batch and committing it in one transaction,
durably (a student's batch only after their previous one, as with the writer), with none of
the flow's reads, rules, result handling or group-commit bookkeeping. The end state is the one
the writer leaves (the same rows and values; tests/bench checks it).

That is a ceiling for any writer storing these attempts through these statements: whatever
a writer does besides them only adds to it. `--seed-only` adds a replay of the seed's writes
alone: without the users' lock and the attempt_id index, the two things the product adds to
them (for concurrent batches and retries), so not a safe writer, only a bound. Each round
also runs the real writer (bench/flow/run.py's batched mode, same attempts, same limits) right
after, so they compare on the same machine in the same minutes; `--plain` adds the target's
plain-asyncpg yardstick (bench/flow/run.py's plain mode) to each round too.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg

from bench.common.cpu_meter import CpuMeter
from bench.common.machine import load_average, run_on_server_loop
from bench.common.postgres import copy_database, describe_server, drop, server_url
from bench.flow.plain import run_plain
from bench.flow.run import PER_ATTEMPT_CONNECTIONS, run_batched
from bench.flow.workload import seeded_template
from persistence import flow_batch
from persistence.flow_batch import QuestionCatalog, commit_batch
from server.gc_policy import CollectorPolicy

Call = Callable[[asyncpg.Connection], Awaitable[object]]
_LOCK = flow_batch.statement("lock_users")


class _RecordingConnection:
    """Passes everything to the real connection and keeps the writes of the current batch."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self.calls: list[Call] = []
        self.locks: list[Call] = []

    async def fetch(self, sql: str, *args):
        # Of the reads, only the users' lock: what a replay needs for the same end state,
        # safely under concurrency.
        if sql == _LOCK:
            self.locks.append(lambda c, sql=sql, args=args: c.fetch(sql, *args))
        return await self._conn.fetch(sql, *args)

    async def execute(self, sql: str, *args):
        self.calls.append(lambda c, sql=sql, args=args: c.execute(sql, *args))
        return await self._conn.execute(sql, *args)

    def transaction(self):
        return self._conn.transaction()


async def _connect(url: str) -> asyncpg.Connection:
    # The settings of the writer's own connections (server/resources.py).
    return await asyncpg.connect(url, server_settings={"timezone": "UTC",
                                                       **flow_batch.KEY_LOOKUP_SETTINGS})


@dataclasses.dataclass(frozen=True)
class RecordedBatch:
    locks: list[Call]       # sent first
    calls: list[Call]
    after: frozenset[int]   # the earlier batches with a student of this one: they commit first


async def record(url: str, attempts, batch: int) -> list[RecordedBatch]:
    conn = await _connect(url)
    recorder = _RecordingConnection(conn)
    catalog, batches = QuestionCatalog(), []
    last_batch_of: dict[uuid.UUID, int] = {}
    try:
        for index, start in enumerate(range(0, len(attempts), batch)):
            recorder.calls, recorder.locks = [], []
            own = attempts[start:start + batch]
            await commit_batch(recorder, own, catalog)
            users = {a.user_id for a in own}
            after = frozenset(last_batch_of[u] for u in users if u in last_batch_of)
            batches.append(RecordedBatch(recorder.locks, recorder.calls, after))
            last_batch_of.update(dict.fromkeys(users, index))
    finally:
        await conn.close()
    return batches


async def replay(url: str, batches: list[RecordedBatch], in_flight: int, meter: CpuMeter, *,
                 locks: bool = True) -> tuple[float, tuple[float, float | None]]:
    """Seconds to commit every recorded batch on `in_flight` connections, and the CPU. As
    with the writer, a student's batch starts only once their previous one has committed
    (the writer gets a student's next attempt only then), so the end state is the recorded
    run's whatever the interleaving, with or without the users' locks."""
    connections = [await _connect(url) for _ in range(in_flight)]
    pending = iter(enumerate(batches))
    committed = [asyncio.Event() for _ in batches]

    async def worker(conn: asyncpg.Connection) -> None:
        for index, batch in pending:      # one shared iterator: each batch goes to one worker
            for earlier in batch.after:
                await committed[earlier].wait()
            async with conn.transaction():
                for call in (*batch.locks, *batch.calls) if locks else batch.calls:
                    await call(conn)
            committed[index].set()

    try:
        await meter.start()
        began = time.perf_counter()
        await asyncio.gather(*(worker(conn) for conn in connections))
        elapsed = time.perf_counter() - began
        cpu = await meter.stop()
    finally:
        for conn in connections:
            await conn.close()
    return elapsed, cpu


async def drop_idempotency_key(url: str) -> None:
    """The product's one index on answer_attempts that the seed does not name."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("ALTER TABLE answer_attempts DROP CONSTRAINT answer_attempts_attempt_id_key")
    finally:
        await conn.close()


def _line(label: str, rate: float, count: int, cpu: tuple[float, float | None]) -> str:
    python, postgres = cpu
    pg_text = f"{postgres / count * 1e6:5.0f}" if postgres is not None else "    ?"
    return (f"  {label:22s} {rate:10,.0f} attempts/s   CPU per attempt: Python "
            f"{python / count * 1e6:5.0f} µs, PostgreSQL {pg_text} µs")


async def main(args: argparse.Namespace) -> None:
    server = server_url()
    described = await describe_server(server)
    async with seeded_template(server, args.users, args.attempts) as (template, _facts, attempts):
        name, url = await copy_database(server, template)
        try:
            batches = await record(url, attempts, args.batch)
        finally:
            await drop(server, name)
        CollectorPolicy().install()   # as bench/flow/run.py: freezes the workload and the recording
        count = len(attempts)
        print(f"{described}; {count} attempts by {args.users} students in {len(batches)} "
              f"batches of {args.batch}, {args.in_flight} in flight; {args.rounds} rounds; "
              f"Python {sys.version.split()[0]}; load average {load_average()}")

        async def replayed(url: str, meter: CpuMeter):
            elapsed, cpu = await replay(url, batches, args.in_flight, meter)
            return count / elapsed, cpu

        async def seed_writes_only(url: str, meter: CpuMeter):
            await drop_idempotency_key(url)
            elapsed, cpu = await replay(url, batches, args.in_flight, meter, locks=False)
            return count / elapsed, cpu

        async def writer(url: str, meter: CpuMeter):
            rate, _, cpu = await run_batched(url, attempts, meter, in_flight=args.in_flight,
                                             max_batch=args.batch)
            return rate, cpu

        async def plain(url: str, meter: CpuMeter):
            rate, committed, (python, postgres) = await run_plain(
                url, attempts, 5.0, meter, PER_ATTEMPT_CONNECTIONS)
            # CPU per attempt is figured on `count`; the yardstick stores fewer in its 5 s.
            scale = count / committed
            return rate, (python * scale, postgres * scale if postgres is not None else None)

        modes = {"writes replayed": replayed}
        if args.seed_only:
            modes["seed's writes only"] = seed_writes_only
        if args.writer:
            modes["batched writer"] = writer
        if args.plain:
            modes["plain yardstick"] = plain
        rates: dict[str, list[float]] = {label: [] for label in modes}
        for round_number in range(1, args.rounds + 1):
            for label, run in modes.items():
                name, url = await copy_database(server, template)
                try:
                    rate, cpu = await run(url, CpuMeter(server, name))
                finally:
                    await drop(server, name)
                rates[label].append(rate)
                print(_line(f"round {round_number} {label}", rate, count, cpu), flush=True)
        ceiling = statistics.median(rates["writes replayed"])
        for label, figures in rates.items():
            median = statistics.median(figures)
            share = f" ({median / ceiling:.0%} of the replay)" if label != "writes replayed" else ""
            print(f"median {label + ':':20s} {median:10,.0f} attempts/s{share}")
        print(f"load average (1, 5, 15 min) at the end: {load_average()}")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--attempts", type=int, default=20000)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--in-flight", type=int, default=2)
    parser.add_argument("--seed-only", action="store_true",
                        help="also replay without the product's additions: no users' lock, no "
                             "attempt_id index (the seed's writes alone; not a safe writer)")
    parser.add_argument("--plain", action="store_true",
                        help="also bench.flow's plain mode, the target's yardstick (5 s a round)")
    parser.add_argument("--no-writer", dest="writer", action="store_false",
                        help="replay only, without the real writer's rounds")
    args = parser.parse_args()
    run_on_server_loop(main(args))


if __name__ == "__main__":
    cli()
