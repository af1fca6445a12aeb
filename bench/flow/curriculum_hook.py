"""What the curriculum's after-commit hook costs per committed batch of answers.

    python -m bench.flow.curriculum_hook [--students 500] [--history 5] [--batch 1 50 500] [--rounds 20]

The hook runs after each batch's COMMIT and before the writer releases the submitters, so
its time adds to every ack's latency. For solo-practice answers it recomputes section and
track progress for each (student, track) pair in the batch and unlocks tracks (one
transaction, three set-based statements), then invalidates the students' cache keys in
Redis ("solo": all of it on the ack path). For live-game answers it only invalidates and
hands the recomputation to the background ProgressRefresher ("live": the hook's own time,
then how long until the refresher has finished the batch).

Setup: a fresh database on the local PostgreSQL (BENCH_DATABASE_URL, else
postgresql://postgres@127.0.0.1:5432/postgres), migrated and seeded; every student has
answered each of the 169 multiplication facts `--history` times (answer_attempts and
question_progress rows), which is what the track's totals are recomputed from. Redis is the
local server (BENCH_REDIS_URL, else redis://127.0.0.1:6379/0), keys under a unique prefix
deleted afterwards. A batch holds one answer from each of `--batch` distinct students.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import time
import uuid
from types import SimpleNamespace

import asyncpg
from sqlalchemy import text

from learning.catalog import track_id
from persistence.curriculum.after_commit import CurriculumAfterCommit, ProgressRefresher
from persistence.curriculum.cache import LearningCache
from persistence.curriculum.seed import seed_curriculum
from persistence.database import create_database
from persistence.migrations import migrate_async
from persistence.redis_client import create_redis, delete_prefix
from persistence.urls import with_database

SERVER = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


async def _history(db, students: int, history: int) -> list:
    track = track_id("multiplication-12")
    async with db.engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO users (username) SELECT 'bench-' || g FROM generate_series(1, :n) g"),
            {"n": students})
        await conn.execute(text(
            "INSERT INTO practice_sessions (user_id, mode, config) "
            "SELECT id, 'practice', '{}' FROM users"))
        await conn.execute(text(
            "INSERT INTO answer_attempts (question_id, user_id, session_id, user_answer, is_correct, "
            "correct_answer, response_time, input_method, attempt_number, attempt_id, timestamp) "
            "SELECT q.id, s.user_id, s.id, q.correct_answer, true, q.correct_answer, 1800, "
            "'keyboard', k, gen_random_uuid(), TIMESTAMP '2026-03-01' + k * INTERVAL '1 day' "
            "FROM practice_sessions s, questions q, generate_series(1, :h) k WHERE q.track_id = :t"),
            {"h": history, "t": track})
        await conn.execute(text(
            "INSERT INTO question_progress (question_id, user_id, total_attempts, correct_attempts, "
            "average_response_time, total_response_time, last_attempt_date) "
            "SELECT q.id, u.id, :h, :h, 1800, :h * 1800, TIMESTAMP '2026-03-05' "
            "FROM users u, questions q WHERE q.track_id = :t"),
            {"h": history, "t": track})
        await conn.execute(text("ANALYZE"))
        users = list((await conn.execute(text("SELECT id FROM users"))).scalars())
        facts = list((await conn.execute(text("SELECT id FROM questions WHERE track_id = :t"),
                                         {"t": track})).scalars())
    return users, facts


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--history", type=int, default=5)
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 50, 500])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    name = f"bench_curriculum_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(SERVER)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = with_database(SERVER, name)
    redis = create_redis(REDIS)
    prefix = f"bench_curriculum_{uuid.uuid4().hex[:8]}"
    db = create_database(url, pool_size=4)
    try:
        await migrate_async(url)
        await seed_curriculum(db)
        started = time.perf_counter()
        users, facts = await _history(db, args.students, args.history)
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"setup: {args.students} students x 169 facts x {args.history} answers "
              f"in {time.perf_counter() - started:.1f} s")
        cache = LearningCache(redis, prefix)
        refresher = ProgressRefresher(db, cache)
        refresher.start()
        hook = CurriculumAfterCommit(db, cache, refresher)
        now = dt.datetime(2026, 3, 10, 12)
        for mode in ("solo", "live"):
            for size in args.batch:
                size = min(size, len(users))
                hook_ms, done_ms = [], []
                for _ in range(args.rounds):
                    batch = [(SimpleNamespace(user_id=u, question_id=random.choice(facts),
                                              answered_at=now,
                                              question_index=None if mode == "solo" else 1),
                              SimpleNamespace(duplicate=False)) for u in random.sample(users, size)]
                    t0 = time.perf_counter()
                    await hook(batch)
                    hook_ms.append((time.perf_counter() - t0) * 1000)
                    await refresher.drain()
                    done_ms.append((time.perf_counter() - t0) * 1000)
                line = (f"{mode:4s} batch of {size:4d} students: hook median "
                        f"{statistics.median(hook_ms):7.1f} ms, p95 {_p95(hook_ms):7.1f} ms")
                if mode == "live":
                    line += f"; refreshed after median {statistics.median(done_ms):7.1f} ms"
                print(line)
        await refresher.stop()
    finally:
        await db.dispose()
        await delete_prefix(redis, prefix)
        await redis.aclose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
