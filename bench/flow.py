"""Answer flow throughput: the group-commit writer against one transaction per attempt.

    python -m bench.flow [--attempts 20000] [--users 2000] [--rounds 3] [--per-attempt-seconds 5]
                         [--modes batched,per-attempt]   (or e.g. --modes batched,plain,per-attempt)
                         [--in-flight 2] [--batch 500]   (the batched writer's two limits)

batched and per-attempt run the same five steps (persistence/flow_batch.py) on the same
attempts, each round on a fresh copy of the same seeded database (CREATE DATABASE … TEMPLATE), on the local
PostgreSQL (BENCH_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres, else
the embedded one). Every attempt is durable when counted: synchronous_commit is reported.

  batched      one task per student submitting its attempts one after another through a
               GroupCommitWriter (the server's settings: 500 attempts / 12 ms, 2 in flight)
  per-attempt  16 workers, each with its own connection, one transaction per attempt, through
               the same attempts in the same order for a fixed time (it is the slow one)
  plain        only when asked: like per-attempt, but each attempt is the seed's five
               statements in one transaction with plain asyncpg, arithmetic in SQL
               (bench/flow_plain.py). It exists because issue #2 sets its target beside "one
               transaction per attempt measured about 3,200/s here with plain asyncpg": this is
               that yardstick measured on this machine. A calibration baseline, not the flow:
               no SM-2, no JSON statistics, no achievements, no session counters.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import os
import random
import socket
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import asyncpg

from bench.flow_plain import run_plain
from bench.one_by_one import run_one_by_one
from persistence.answer_flow import AttemptIn
from persistence.flow_batch import KEY_LOOKUP_SETTINGS, QuestionCatalog, commit_batch
from persistence.migrations import migrate_async
from persistence.urls import with_database
from server.gc_policy import CollectorPolicy
from server.resources import create_answer_writer
from server.settings import Settings

LOCAL = "postgresql://postgres@127.0.0.1:5432/postgres"
PER_ATTEMPT_CONNECTIONS = 16
FACTS = 12  # a 12 × 12 multiplication track: 144 facts
MODES = ("batched", "per-attempt", "plain")


def _proc_cpu_seconds(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds used by this process and by the PostgreSQL backends serving the benched
    database (when PostgreSQL runs on this machine and /proc shows its processes): unlike
    wall time, CPU per attempt barely depends on what else the shared machine is doing."""

    def __init__(self, server: str, database: str) -> None:
        self._server, self._database = server, database
        self._backends: dict[int, float] = {}

    async def _pids(self) -> list[int]:
        conn = await asyncpg.connect(self._server)
        try:
            rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1",
                                    self._database)
        finally:
            await conn.close()
        return [r["pid"] for r in rows]

    async def start(self) -> None:
        self._python = time.process_time()
        for pid in await self._pids():
            cpu = _proc_cpu_seconds(pid)
            if cpu is not None:
                self._backends[pid] = cpu

    async def stop(self) -> tuple[float, float | None]:
        """(Python CPU s, PostgreSQL CPU s or None when it cannot be seen)."""
        python = time.process_time() - self._python
        total, seen = 0.0, False
        for pid in await self._pids():
            cpu = _proc_cpu_seconds(pid)
            if cpu is not None:
                total += cpu - self._backends.get(pid, 0.0)
                seen = True
        return python, total if seen else None


def load_average() -> str:
    """The machine is shared: the load next to a figure says how much of it we had."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def server_url() -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return LOCAL
    except OSError:
        from persistence.embedded import start_embedded_postgres

        return start_embedded_postgres(Path(tempfile.gettempdir()) / "mathrally-bench-embedded")


async def seed(url: str, users: int) -> tuple[list[tuple[uuid.UUID, uuid.UUID]], list[tuple]]:
    """Students with one practice session each, and a 12 × 12 track. Returns
    [(user_id, session_id)] and [(question_id, correct_answer)]."""
    conn = await asyncpg.connect(url)
    try:
        track = await conn.fetchval(
            "INSERT INTO learning_tracks (name, difficulty, total_questions, operations) "
            "VALUES ('bench ×', 'easy', $1, ARRAY['×']) RETURNING id", FACTS * FACTS)
        facts = await conn.fetch(
            "INSERT INTO questions (operand1, operand2, operation, correct_answer, difficulty, "
            "category, track_id, sequence_number) "
            "SELECT a, b, '×', a * b, 'easy', 'bench', $1, (a - 1) * $2 + b "
            "FROM generate_series(1, $2) a, generate_series(1, $2) b RETURNING id, correct_answer",
            track, FACTS)
        students = await conn.fetch(
            "INSERT INTO users (username) SELECT 'bench-' || i FROM generate_series(1, $1) i "
            "RETURNING id", users)
        pairs = []
        for row in students:
            session = await conn.fetchval(
                "INSERT INTO practice_sessions (user_id, mode, config) "
                "VALUES ($1, 'practice', '{}') RETURNING id", row["id"])
            pairs.append((row["id"], session))
        return pairs, [(f["id"], f["correct_answer"]) for f in facts]
    finally:
        await conn.close()


def workload(students, facts, attempts: int, seed_value: int = 7) -> list[AttemptIn]:
    """Attempts in time order: each student answers random facts, 85 % correctly."""
    rng = random.Random(seed_value)
    start = dt.datetime(2026, 3, 2, 9, 0)
    out = []
    for i in range(attempts):
        user, session = students[i % len(students)]
        question, answer = facts[rng.randrange(len(facts))]
        given = answer if rng.random() < 0.85 else answer + 1
        out.append(AttemptIn(
            attempt_id=uuid.uuid4(), user_id=user, session_id=session, question_id=question,
            raw_input=str(given), user_answer=Decimal(given), correct_answer=answer,
            response_time_ms=rng.randint(600, 9000),
            answered_at=start + dt.timedelta(milliseconds=50 * i)))
    return out


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


async def copy_database(server: str, template: str) -> tuple[str, str]:
    name = f"bench_flow_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await conn.close()
    return name, with_database(server, name)


async def drop(server: str, name: str) -> None:
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def seeded_template(server: str, users: int, attempts: int):
    """A migrated database with `users` students and the 12 × 12 track, for each round to
    copy; dropped on exit. Yields (its name, the facts, the workload of `attempts`)."""
    template = f"bench_flow_template_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'CREATE DATABASE "{template}"')
    finally:
        await conn.close()
    try:
        template_url = with_database(server, template)
        await migrate_async(template_url)
        students, facts = await seed(template_url, users)
        yield template, facts, workload(students, facts, attempts)
    finally:
        await drop(server, template)


async def describe_server(server: str) -> str:
    """The PostgreSQL version and the settings that make a commit durable, for the figures."""
    conn = await asyncpg.connect(server)
    try:
        durability = {k: await conn.fetchval(f"SHOW {k}") for k in ("synchronous_commit", "fsync")}
        return f"PostgreSQL {await conn.fetchval('SHOW server_version')}, {durability}"
    finally:
        await conn.close()


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


def run_on_server_loop(coroutine) -> None:
    """On uvloop, as `mathrally serve` runs (where it is installed: not on Windows)."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(coroutine)
    else:
        uvloop.run(coroutine)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
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


if __name__ == "__main__":
    cli()
