"""Room report and login costs: how long a teacher waits, measured on this machine.

    python -m bench.ops.reports [--players 30,300,1000] [--questions 20,50,100] [--rounds 5]

For each size it seeds one finished room (players × questions attempts, set-based SQL) in a
throw-away database on the local PostgreSQL (BENCH_DATABASE_URL, else
postgresql://postgres@127.0.0.1:5432/postgres), then times the report query (one snapshot,
three statements) and its JSON and CSV rendering: the median of `rounds`.
It also times argon2id with argon2-cffi's default parameters (one hash, one verification) and
the login-verification throughput of `Passwords` (two at a time, as the server runs them).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid

import asyncpg
from argon2 import PasswordHasher

from persistence.database import create_database
from persistence.migrations import migrate_async
from persistence.room_catalog import get_room
from persistence.room_reports import room_report
from persistence.urls import with_database
from server.passwords import Passwords
from server.report_formats import report_csv, report_json

LOCAL = "postgresql://postgres@127.0.0.1:5432/postgres"

_SEED = """
WITH t AS (
  INSERT INTO users (username, role) VALUES ('bench-teacher-' || $1::text, 'teacher') RETURNING id
), r AS (
  INSERT INTO rooms (teacher_id, code, operation, question_count, time_limit_ms, screen_key,
                     status, started_at, finished_at)
  SELECT id, '000000', '×', $2, 20000, 'k', 'finished', now(), now() FROM t RETURNING id
) SELECT r.id, t.id FROM r, t
"""


async def seed(conn: asyncpg.Connection, players: int, questions: int, operand2: int) -> uuid.UUID:
    tag = uuid.uuid4().hex[:8]
    room_id, _ = await conn.fetchrow(_SEED, tag, questions)
    await conn.execute("""
        INSERT INTO questions (operand1, operand2, operation, correct_answer, difficulty, category,
                               sequence_number)
        SELECT i, $3, '×', i * $3, 'easy', 'bench-' || $1, i FROM generate_series(1, $2) i""",
        tag, questions, operand2)
    await conn.execute("""
        INSERT INTO room_questions (room_id, question_index, question_id)
        SELECT $1, q.sequence_number - 1, q.id FROM questions q WHERE q.category = 'bench-' || $2""",
        room_id, tag)
    await conn.execute("""
        WITH u AS (
          INSERT INTO users (username, role)
          SELECT 'bench-' || $2 || '-' || p, 'guest' FROM generate_series(1, $3) p RETURNING id
        ), s AS (
          INSERT INTO practice_sessions (user_id, mode, config)
          SELECT id, 'live', '{}' FROM u RETURNING id, user_id
        )
        INSERT INTO room_players (room_id, user_id, session_id, nickname, join_order)
        SELECT $1, s.user_id, s.id, 'P' || row_number() OVER (), row_number() OVER () - 1 FROM s""",
        room_id, tag, players)
    await conn.execute("""
        INSERT INTO answer_attempts (question_id, user_id, session_id, user_answer, is_correct,
            correct_answer, response_time, input_method, raw_input, attempt_number, attempt_id,
            question_index, points)
        SELECT rq.question_id, p.user_id, p.session_id, q.correct_answer + (random() < 0.2)::int,
               false, q.correct_answer, 500 + (random() * 15000)::int, 'keyboard', '0', 1,
               gen_random_uuid(), rq.question_index, (random() * 1000)::int
        FROM room_players p JOIN room_questions rq ON rq.room_id = p.room_id
        JOIN questions q ON q.id = rq.question_id WHERE p.room_id = $1""", room_id)
    await conn.execute("UPDATE answer_attempts SET is_correct = (user_answer = correct_answer) "
                       "WHERE session_id IN (SELECT session_id FROM room_players WHERE room_id = $1)",
                       room_id)
    await conn.execute("ANALYZE")
    return room_id


async def time_reports(url: str, sizes: list[tuple[int, int]], rounds: int) -> None:
    conn = await asyncpg.connect(url)
    db = create_database(url, pool_size=2)
    try:
        print("| players | questions | attempts | query (ms) | JSON (ms) | CSV (ms) | CSV size (KiB) |")
        print("|---|---|---|---|---|---|---|")
        for n, (players, questions) in enumerate(sizes):
            # Free-standing facts are unique per (a, b, op): each size gets its own b.
            room_id = await seed(conn, players, questions, operand2=7 + n)
            room = await get_room(db, room_id)
            assert room is not None
            query, render_json, render_csv = [], [], []
            for _ in range(rounds):
                start = time.perf_counter()
                report = await room_report(db, room_id)
                query.append(time.perf_counter() - start)
                start = time.perf_counter()
                body = report_json(room, report)
                json.dumps(body)
                render_json.append(time.perf_counter() - start)
                start = time.perf_counter()
                text = report_csv(body, None)
                render_csv.append(time.perf_counter() - start)
            ms = lambda xs: f"{statistics.median(xs) * 1000:.1f}"  # noqa: E731
            print(f"| {players} | {questions} | {len(report.attempts)} | {ms(query)} | "
                  f"{ms(render_json)} | {ms(render_csv)} | {len(text.encode()) / 1024:.0f} |")
    finally:
        await db.dispose()
        await conn.close()


async def time_passwords(logins: int) -> None:
    hasher = PasswordHasher()
    start = time.perf_counter()
    stored = hasher.hash("correct horse battery")
    hash_s = time.perf_counter() - start
    start = time.perf_counter()
    hasher.verify(stored, "correct horse battery")
    verify_s = time.perf_counter() - start
    passwords = Passwords(hasher)
    start = time.perf_counter()
    await asyncio.gather(*(passwords.verify(stored, "correct horse battery") for _ in range(logins)))
    elapsed = time.perf_counter() - start
    print(f"\nargon2id defaults (t={hasher.time_cost}, m={hasher.memory_cost} KiB, "
          f"p={hasher.parallelism}): hash {hash_s * 1000:.0f} ms, verify {verify_s * 1000:.0f} ms; "
          f"{logins} concurrent logins verified in {elapsed:.2f} s "
          f"({logins / elapsed:.1f} logins/s, two at a time)")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--players", default="30,300,1000")
    parser.add_argument("--questions", default="20,50,100")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--logins", type=int, default=20)
    args = parser.parse_args()
    sizes = list(zip((int(p) for p in args.players.split(",")),
                     (int(q) for q in args.questions.split(",")), strict=True))
    server = os.environ.get("BENCH_DATABASE_URL", LOCAL)
    name = f"mathrally_bench_reports_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = with_database(server, name)
        await migrate_async(url)
        await time_reports(url, sizes, args.rounds)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    await time_passwords(args.logins)


if __name__ == "__main__":
    asyncio.run(main())
