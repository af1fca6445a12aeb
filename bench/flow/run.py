"""Answer flow throughput: the group-commit writer against one transaction per attempt.

    python -m bench.flow [--attempts 20000] [--users 2000] [--rounds 3] [--per-attempt-seconds 5]
                         [--modes batched,per-attempt]   (or e.g. --modes batched,plain,per-attempt)
                         [--in-flight 2] [--batch 500]   (the batched writer's two limits)

batched and per-attempt run the same five steps (persistence/flow_batch.py) on the same
attempts, each round on a fresh copy of the same seeded database (CREATE DATABASE … TEMPLATE),
on the local PostgreSQL (BENCH_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres,
else the embedded one). Every attempt is durable when counted: synchronous_commit is reported.

  batched      one task per student submitting its attempts one after another through a
               GroupCommitWriter (the server's settings: 500 attempts / 12 ms, 2 in flight)
  per-attempt  16 workers, each with its own connection, one transaction per attempt, through
               the same attempts in the same order for a fixed time (it is the slow one)
  plain        only when asked: like per-attempt, but each attempt is the seed's five
               statements in one transaction with plain asyncpg, arithmetic in SQL
               (bench/flow/plain.py): the yardstick the throughput target is stated against
               ("one transaction per attempt, about 3,200/s with plain asyncpg"), measured on
               this machine. A calibration baseline, not the flow: no SM-2, no JSON
               statistics, no achievements, no session counters.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import sys
import time
import uuid

from bench.common.cpu_meter import CpuMeter
from bench.common.machine import load_average, run_on_server_loop
from bench.common.postgres import copy_database, describe_server, drop, server_url
from bench.flow.one_by_one import run_one_by_one
from bench.flow.plain import run_plain
from bench.flow.workload import seeded_template
from persistence.answer_flow import AttemptIn
from persistence.flow_batch import KEY_LOOKUP_SETTINGS, QuestionCatalog, commit_batch
from server.gc_policy import CollectorPolicy
from server.resources import create_answer_writer
from server.settings import Settings

PER_ATTEMPT_CONNECTIONS = 16
MODES = ("batched", "per-attempt", "plain")


async def run_batched(url: str, attempts: list[AttemptIn], meter: CpuMeter, *,
                      in_flight: int = 2, max_batch: int | None = None):
    """The server's writer (server/resources.py: its own pool, one connection per batch in
    flight), with the batch limits of Settings unless told otherwise."""
    defaults = Settings()
    database, writer = create_answer_writer(url, dataclasses.replace(
        defaults, batch_in_flight=in_flight,
        batch_max_attempts=max_batch or defaults.batch_max_attempts))
    by_user: dict[uuid.UUID, list[AttemptIn]] = {}
    for a in attempts:
        by_user.setdefault(a.user_id, []).append(a)

    async def student(own: list[AttemptIn]) -> None:
        for a in own:
            await writer.submit(a)

    await writer.start()
    async with database.engine.connect() as warm:   # open the writer's connections first
        await warm.exec_driver_sql("SELECT 1")
    await meter.start()
    began = time.perf_counter()
    await asyncio.gather(*(student(own) for own in by_user.values()))
    elapsed = time.perf_counter() - began
    cpu = await meter.stop()
    await writer.stop()
    await database.dispose()
    return len(attempts) / elapsed, len(attempts), cpu


async def run_per_attempt(url: str, attempts: list[AttemptIn], budget_s: float,
                          meter: CpuMeter):
    """commit_batch with one attempt, one transaction each, on PER_ATTEMPT_CONNECTIONS
    connections for `budget_s` (it is ~10× slower); committed attempts per second."""
    catalog = QuestionCatalog()
    return await run_one_by_one(url, attempts, budget_s, meter, PER_ATTEMPT_CONNECTIONS,
                                lambda conn, a: commit_batch(conn, [a], catalog),
                                server_settings=KEY_LOOKUP_SETTINGS)


async def main(args: argparse.Namespace) -> None:
    server = server_url()
    described = await describe_server(server)
    async with seeded_template(server, args.users, args.attempts) as (template, facts, attempts):
        # The writer runs inside `mathrally serve`, so it is measured under that process's
        # collector policy (server/gc_policy.py: a larger young generation). Installing it
        # also freezes the pre-built attempts, the bench's data and not the writer's, which
        # the collector would otherwise rescan over and over (about 10–15 µs of Python CPU
        # per attempt, measured), a cost the server, receiving attempts as they come, lacks.
        CollectorPolicy().install()
        print(f"{described}; {args.attempts} attempts by {args.users} "
              f"students on {len(facts)} facts; {args.rounds} rounds; Python {sys.version.split()[0]}"
              f", loop {type(asyncio.get_running_loop()).__module__}; {os.cpu_count()} CPUs, load "
              f"average {load_average()}")
        results: dict[str, list[float]] = {mode: [] for mode in MODES}
        cpu_us: dict[str, list[tuple[float, float | None]]] = {mode: [] for mode in MODES}
        for round_number in range(1, args.rounds + 1):
            for mode in args.modes:
                name, url = await copy_database(server, template)
                meter = CpuMeter(server, name)
                try:
                    if mode == "batched":
                        rate, count, (py, pg) = await run_batched(
                            url, attempts, meter, in_flight=args.in_flight, max_batch=args.batch)
                    elif mode == "plain":
                        rate, count, (py, pg) = await run_plain(
                            url, attempts, args.per_attempt_seconds, meter, PER_ATTEMPT_CONNECTIONS)
                    else:
                        rate, count, (py, pg) = await run_per_attempt(
                            url, attempts, args.per_attempt_seconds, meter)
                finally:
                    await drop(server, name)
                results[mode].append(rate)
                cpu_us[mode].append((py / count * 1e6, pg / count * 1e6 if pg is not None else None))
                pg_text = f"{pg / count * 1e6:5.0f}" if pg is not None else "    ?"
                print(f"  round {round_number} {mode:12s} {rate:10,.0f} attempts/s   CPU per "
                      f"attempt: Python {py / count * 1e6:5.0f} µs, PostgreSQL {pg_text} µs",
                      flush=True)
        if results["batched"]:
            print(f"median batched:     {statistics.median(results['batched']):10,.0f} attempts/s")
        for mode, ratio_label in (("per-attempt", "ratio:"), ("plain", "ratio batched/plain:")):
            if not results[mode]:
                continue
            print(f"{'median ' + mode + ':':20s}{statistics.median(results[mode]):10,.0f} "
                  f"attempts/s ({PER_ATTEMPT_CONNECTIONS} connections)")
            if results["batched"]:
                ratio = statistics.median(results["batched"]) / statistics.median(results[mode])
                print(f"{ratio_label:20s}{ratio:10.1f}×")
        py_us = statistics.median(c[0] for c in cpu_us["batched"]) if cpu_us["batched"] else 0
        pg_seen = [c[1] for c in cpu_us["batched"] if c[1] is not None]
        if pg_seen:
            pg_us = statistics.median(pg_seen)
            print(f"batched CPU per attempt (median): Python {py_us:.0f} µs + PostgreSQL "
                  f"{pg_us:.0f} µs; on {os.cpu_count()} idle CPUs that bounds it near "
                  f"{os.cpu_count() * 1e6 / (py_us + pg_us):,.0f} attempts/s")
        print(f"load average (1, 5, 15 min) at the end: {load_average()}")


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.flow", description=__doc__.split("\n")[0])
    parser.add_argument("--attempts", type=int, default=20000)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-attempt-seconds", type=float, default=5.0)
    parser.add_argument("--in-flight", type=int, default=Settings().batch_in_flight,
                        help="batched: batches committing at once (default BATCH_IN_FLIGHT's, 2)")
    parser.add_argument("--batch", type=int, default=None,
                        help="batched: the most attempts in a batch (default BATCH_MAX_ATTEMPTS, 500)")
    parser.add_argument("--modes", type=lambda text: text.split(","),
                        default=["batched", "per-attempt"],
                        help="comma-separated: batched, per-attempt, plain")
    args = parser.parse_args()
    unknown = [mode for mode in args.modes if mode not in MODES]
    if unknown:
        parser.error(f"unknown mode(s) {', '.join(unknown)}; choose from {', '.join(MODES)}")
    run_on_server_loop(main(args))

