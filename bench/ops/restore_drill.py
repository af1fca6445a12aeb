"""Restore drill: fill a scratch database, back it up, wipe it, restore it, compare every table.

    python -m bench.ops.restore_drill [--server postgresql://postgres@127.0.0.1:5432/test]
                                  [--attempts 200000] [--keep-database]

Prints the database size, the dump size, and the seconds each step took; exits non-zero if
any table's row count or checksum differs after the restore. The same steps as the drill in
docs/operations.md, timed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

from persistence import backup as backups
from persistence.migrations import migrate_async
from persistence.urls import with_database

FILL = """
INSERT INTO users (username, role)
    SELECT 'drill-' || g, 'student' FROM generate_series(1, $1::int) g;
"""


async def _fill(url: str, attempts: int) -> None:
    users = max(attempts // 200, 10)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("""
            INSERT INTO learning_tracks (name, difficulty, total_questions, operations)
            VALUES ('drill', 'easy', 144, ARRAY['×']);
            INSERT INTO questions (operand1, operand2, operation, correct_answer, difficulty,
                                   category, track_id, sequence_number)
            SELECT a, b, '×', a * b, 'easy', 'drill', (SELECT id FROM learning_tracks), a * 12 + b
            FROM generate_series(1, 12) a, generate_series(1, 12) b;
        """)
        await conn.execute(FILL, users)
        await conn.execute("""
            INSERT INTO practice_sessions (user_id, mode, config)
            SELECT id, 'live', '{"operation": "×", "questions": [1, 2, 3]}'::jsonb FROM users
        """)
        await conn.execute("""
            WITH s AS (SELECT id, user_id, row_number() OVER () AS k FROM practice_sessions),
                 q AS (SELECT id, correct_answer, row_number() OVER () - 1 AS k FROM questions)
            INSERT INTO answer_attempts (question_id, user_id, session_id, user_answer, is_correct,
                correct_answer, response_time, timestamp, input_method, attempt_number, attempt_id,
                question_index, points)
            SELECT q.id, s.user_id, s.id, q.correct_answer, g % 5 <> 0, q.correct_answer,
                   800 + g % 4000, now() - (g % 1000) * interval '1 day', 'keyboard', 1,
                   gen_random_uuid(), g / $2::int, 1000 - g % 1000  -- one per index and session
            FROM generate_series(1, $1::int) g
            JOIN s ON s.k = 1 + g % $2::int
            JOIN q ON q.k = g % 144
        """, attempts, users)
        await conn.execute("""
            INSERT INTO learning_events (type, user_id, timestamp, payload)
            SELECT 'answer', a.user_id, a.timestamp, jsonb_build_object('attempt', a.attempt_id)
            FROM answer_attempts a
        """)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def _database_size(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await conn.close()


async def drill(server_url: str, attempts: int, keep_database: bool) -> int:
    name = f"mathrally_drill_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = with_database(server_url, name)
    try:
        await migrate_async(url)
        started = time.perf_counter()
        await _fill(url, attempts)
        print(f"filled {attempts} answer attempts and as many learning events in "
              f"{time.perf_counter() - started:.1f} s")
        before = await backups.table_fingerprints(url)
        print(f"database size: {await _database_size(url) / 1e6:.1f} MB, "
              f"{sum(n for n, _ in before.values())} rows in {len(before)} tables")
        with tempfile.TemporaryDirectory() as folder:
            made = await backups.backup(url, Path(folder), keep=1)
            print(f"backup: {made.size_bytes / 1e6:.1f} MB in {made.seconds:.2f} s")
            started = time.perf_counter()
            await backups.wipe(url)
            print(f"wipe: {time.perf_counter() - started:.2f} s")
            restored = await backups.restore(url, made.path)
            print(f"restore: {restored.tables} tables in {restored.seconds:.2f} s")
        started = time.perf_counter()
        after = await backups.table_fingerprints(url)
        print(f"compare: {time.perf_counter() - started:.2f} s")
        differing = sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))
        if differing:
            print(f"MISMATCH in {', '.join(differing)}")
            return 1
        print(f"every table's row count and md5 match ({len(after)} tables)")
        return 0
    finally:
        if not keep_database:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--attempts", type=int, default=200_000)
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()
    return asyncio.run(drill(args.server, args.attempts, args.keep_database))


if __name__ == "__main__":
    sys.exit(main())
