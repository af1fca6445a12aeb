"""One scored answer per player per live question: the writer refuses a second attempt_id
with `already_answered` (its batch goes on), retries of one attempt_id stay idempotent, and
the database itself refuses a second row (idx_attempts_one_per_question), also for rows a
migration found already doubled."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from persistence.answer_flow import AttemptOutcome, AttemptRejected
from persistence.group_commit import GroupCommitWriter
from persistence.migrations import migrate_async
from tests.persistence.test_group_commit import attempt, count
from tests.support import databases, factories, services


@pytest.fixture
async def world(db):
    _, facts = await factories.make_track(db, "×", size=2)
    users = [await factories.make_user(db) for _ in range(2)]
    sessions = [await factories.make_session(db, u, mode="live") for u in users]
    return users, sessions, facts


@pytest.fixture
async def writer(db):
    writer = GroupCommitWriter(db, max_batch=100, window_ms=50)
    await writer.start()
    yield writer
    await writer.stop()


async def test_a_second_attempt_in_the_same_batch_is_refused_alone(database_url, world, writer, caplog):
    (u1, u2), (s1, s2), facts = world
    first = attempt(u1, s1, facts[0], question_index=0, points=900)
    second = attempt(u1, s1, facts[1], question_index=0, points=800, seconds=1)
    other = attempt(u2, s2, facts[0], question_index=0, points=700)
    results = await asyncio.gather(*(writer.submit(a) for a in (first, second, other)),
                                   return_exceptions=True)
    assert isinstance(results[0], AttemptOutcome) and isinstance(results[2], AttemptOutcome)
    assert isinstance(results[1], AttemptRejected) and results[1].code == "already_answered"
    assert "one by one" not in caplog.text   # decided in the batch, not by a failed transaction
    assert await count(database_url, "SELECT count(*) FROM answer_attempts WHERE session_id = $1",
                       s1) == 1


async def test_a_second_attempt_in_a_later_batch_is_refused_and_retries_are_idempotent(
        database_url, world, writer):
    (u1, _), (s1, _), facts = world
    first = attempt(u1, s1, facts[0], question_index=2, points=650)
    stored = await writer.submit(first)
    with pytest.raises(AttemptRejected) as refused:
        await writer.submit(attempt(u1, s1, facts[0], question_index=2, points=999, seconds=2))
    assert refused.value.code == "already_answered"
    again = await writer.submit(first)
    assert again.duplicate and (again.answer_id, again.points) == (stored.answer_id, 650)
    # Another question of the same session, and practice answers (no index), are not concerned.
    assert not (await writer.submit(attempt(u1, s1, facts[0], question_index=3, seconds=3))).duplicate
    for n in range(2):
        await writer.submit(attempt(u1, s1, facts[1], seconds=4 + n))
    assert await count(database_url, "SELECT count(*) FROM answer_attempts WHERE session_id = $1",
                       s1) == 4


async def test_the_database_refuses_a_second_row(database_url, world, writer):
    (u1, _), (s1, _), facts = world
    stored = await writer.submit(attempt(u1, s1, facts[0], question_index=5, points=500))
    conn = await asyncpg.connect(database_url)
    try:
        row = dict(await conn.fetchrow("SELECT * FROM answer_attempts WHERE id = $1",
                                       stored.answer_id))
        row.update(id=uuid.uuid4(), attempt_id=uuid.uuid4())
        columns = ", ".join(row)
        values = ", ".join(f"${i}" for i in range(1, len(row) + 1))
        with pytest.raises(asyncpg.UniqueViolationError, match="idx_attempts_one_per_question"):
            await conn.execute(f"INSERT INTO answer_attempts ({columns}) VALUES ({values})",
                               *row.values())
    finally:
        await conn.close()


async def test_the_migration_keeps_the_earliest_of_doubled_answers(postgres_server_url):
    name = services.unique_name("mathrally_once")
    url = await databases.create_database(postgres_server_url, name)
    try:
        await migrate_async(url, "0007")
        conn = await asyncpg.connect(url)
        try:
            user = await conn.fetchval("INSERT INTO users (username) VALUES ('twice') RETURNING id")
            session = await conn.fetchval(
                "INSERT INTO practice_sessions (user_id, mode, config) VALUES ($1, 'live', '{}') "
                "RETURNING id", user)
            fact = await conn.fetchval(
                "INSERT INTO questions (operand1, operand2, operation, correct_answer, difficulty, "
                "category, sequence_number) VALUES (2, 3, '×', 6, 'live', 'x', 0) RETURNING id")
            insert = ("INSERT INTO answer_attempts (question_id, user_id, session_id, user_answer, "
                      "is_correct, correct_answer, response_time, timestamp, input_method, "
                      "attempt_number, attempt_id, question_index, points) VALUES ($1, $2, $3, 6, "
                      "true, 6, 1000, $4::text::timestamp, 'keyboard', 1, $5, 0, $6) RETURNING id")
            early = await conn.fetchval(insert, fact, user, session, "2026-01-01 10:00:01",
                                        uuid.uuid4(), 900)
            late = await conn.fetchval(insert, fact, user, session, "2026-01-01 10:00:02",
                                       uuid.uuid4(), 800)
        finally:
            await conn.close()
        await migrate_async(url)
        conn = await asyncpg.connect(url)
        try:
            rows = {r["id"]: (r["question_index"], r["points"]) for r in await conn.fetch(
                "SELECT id, question_index, points FROM answer_attempts")}
        finally:
            await conn.close()
        assert rows == {early: (0, 900), late: (None, None)}
    finally:
        await databases.drop_database(postgres_server_url, name)
