"""The flow benches' data: students with a practice session each, a 12 × 12 multiplication
track, and a reproducible stream of their attempts."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import uuid
from decimal import Decimal

import asyncpg

from bench.common.postgres import drop
from persistence.answer_flow import AttemptIn
from persistence.migrations import migrate_async
from persistence.urls import with_database

FACTS = 12  # a 12 × 12 multiplication track: 144 facts


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
