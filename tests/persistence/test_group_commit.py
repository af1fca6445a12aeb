"""The GroupCommitWriter's contract: rejections stay alone, retries are idempotent, hooks run
after COMMIT, stop drains, and the mastery mirror equals the trigger."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import random
import uuid
from decimal import Decimal

import asyncpg
import pytest
from sqlalchemy import text

from learning.flow_rules import mastery_for
from persistence.answer_flow import AttemptIn, AttemptOutcome, AttemptRejected
from persistence.group_commit import GroupCommitWriter
from tests.support import factories

T0 = dt.datetime(2026, 5, 4, 10, 0)


@pytest.fixture
async def world(db):
    _, facts = await factories.make_track(db, "×", size=2)
    users = [await factories.make_user(db) for _ in range(3)]
    sessions = [await factories.make_session(db, u) for u in users]
    return users, sessions, facts


def attempt(user, session, fact, *, seconds: int = 0, correct: bool = True, **extra) -> AttemptIn:
    answer = fact["correct_answer"]
    given = answer if correct else answer + 1
    fields = {"attempt_id": uuid.uuid4(), "user_id": user, "session_id": session,
              "question_id": fact["id"], "raw_input": str(given), "user_answer": Decimal(given),
              "correct_answer": answer, "response_time_ms": 1200,
              "answered_at": T0 + dt.timedelta(seconds=seconds)}
    fields.update(extra)
    return AttemptIn(**fields)


@pytest.fixture
async def writer(db):
    # A long window so that everything submitted together lands in one batch.
    writer = GroupCommitWriter(db, max_batch=100, window_ms=100)
    await writer.start()
    yield writer
    await writer.stop()


async def count(database_url, sql, *args) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def test_bad_attempts_do_not_fail_their_batch(db, database_url, world, writer):
    (u1, u2, u3), (s1, s2, s3), facts = world
    taken = attempt(u2, s2, facts[0])
    await writer.submit(taken)
    batches = []

    async def hook(committed):
        batches.append([a.attempt_id for a, _ in committed])

    writer.add_after_commit_hook(hook)
    good = [attempt(u1, s1, facts[0], seconds=1), attempt(u3, s3, facts[1], seconds=2),
            attempt(u1, s1, facts[1], seconds=3)]
    bad = {
        "unknown_question": attempt(u1, s1, {"id": uuid.uuid4(), "correct_answer": Decimal(1)}),
        "unknown_session": attempt(u1, uuid.uuid4(), facts[0]),
        "session_mismatch": attempt(u1, s2, facts[0]),
        "unknown_user": attempt(uuid.uuid4(), s1, facts[0]),
        "attempt_id_conflict": dataclasses.replace(attempt(u1, s1, facts[2]),
                                                   attempt_id=taken.attempt_id),
    }
    sends = [good[0], *bad.values(), good[1], good[2]]
    results = await asyncio.gather(*(writer.submit(a) for a in sends), return_exceptions=True)
    assert len(batches) == 1 and batches[0] == [a.attempt_id for a in good]
    by_id = dict(zip([a.attempt_id for a in sends], results, strict=True))
    for a in good:
        assert isinstance(by_id[a.attempt_id], AttemptOutcome)
    for code, a in bad.items():
        result = results[sends.index(a)]
        assert isinstance(result, AttemptRejected) and result.code == code, (code, result)
    assert await count(database_url, "SELECT count(*) FROM answer_attempts WHERE user_id = $1",
                       u1) == 2
    assert await count(database_url, "SELECT total_questions_answered FROM user_statistics "
                       "WHERE user_id = $1", u1) == 2


async def test_a_failing_batch_is_retried_attempt_by_attempt(db, database_url, world, writer):
    """A failure validation cannot foresee (here a constraint added for the test) fails the
    batch's transaction; the writer retries each attempt alone, so only that one fails."""
    (u1, u2, _), (s1, s2, _), facts = world
    async with db.sessions() as session, session.begin():
        await session.execute(text("ALTER TABLE answer_attempts ADD CONSTRAINT test_no_boom "
                                   "CHECK (raw_input <> 'boom')"))
    try:
        sends = [attempt(u1, s1, facts[0]), attempt(u2, s2, facts[0], raw_input="boom"),
                 attempt(u2, s2, facts[1], seconds=1)]
        results = await asyncio.gather(*(writer.submit(a) for a in sends), return_exceptions=True)
    finally:
        async with db.sessions() as session, session.begin():
            await session.execute(text("ALTER TABLE answer_attempts DROP CONSTRAINT test_no_boom"))
    assert isinstance(results[0], AttemptOutcome) and isinstance(results[2], AttemptOutcome)
    assert isinstance(results[1], AttemptRejected) and results[1].code == "storage_unavailable"
    assert await count(database_url, "SELECT total_questions_answered FROM user_statistics "
                       "WHERE user_id = $1", u2) == 1


async def test_retries_return_the_stored_outcome(db, database_url, world, writer, caplog):
    (u1, _, _), (s1, _, _), facts = world
    a = attempt(u1, s1, facts[0], points=700, question_index=3)
    first, again_in_batch = await asyncio.gather(writer.submit(a), writer.submit(a))
    # Recognised inside the batch, not by a failed transaction and a retry one by one.
    assert "one by one" not in caplog.text
    later = await writer.submit(a)
    assert not first.duplicate and again_in_batch.duplicate and later.duplicate
    assert first.answer_id == again_in_batch.answer_id == later.answer_id
    assert (later.points, later.is_correct, later.mastery) == (700, True, Decimal("1.00"))
    assert await count(database_url, "SELECT count(*) FROM learning_events WHERE user_id = $1",
                       u1) == 1
    assert await count(database_url, "SELECT questions_answered FROM practice_sessions "
                       "WHERE id = $1", s1) == 1


async def test_hooks_run_after_commit_and_their_failure_is_not_the_submitters(
        db, database_url, world, writer):
    (u1, _, _), (s1, _, _), facts = world
    seen = []

    async def visible(committed):
        # Another connection already sees the rows: the hook runs after COMMIT.
        for _, outcome in committed:
            seen.append(await count(database_url,
                                    "SELECT count(*) FROM answer_attempts WHERE id = $1",
                                    outcome.answer_id))

    async def broken(committed):
        raise RuntimeError("a hook that fails")

    writer.add_after_commit_hook(broken)
    writer.add_after_commit_hook(visible)
    outcome = await writer.submit(attempt(u1, s1, facts[0]))
    assert not outcome.duplicate and seen == [1]


async def test_batch_observers_see_each_batchs_size_and_storing_time(world, writer):
    (u1, u2, _), (s1, s2, _), facts = world
    observed: list[tuple[int, float]] = []
    writer.add_batch_observer(lambda size, seconds: observed.append((size, seconds)))
    await asyncio.gather(writer.submit(attempt(u1, s1, facts[0])),
                         writer.submit(attempt(u2, s2, facts[1])))
    assert sum(size for size, _ in observed) == 2
    assert all(seconds > 0 for _, seconds in observed)


async def test_stop_drains_then_refuses(db, database_url, world):
    (u1, _, _), (s1, _, _), facts = world
    writer = GroupCommitWriter(db, max_batch=2, window_ms=50)
    await writer.start()
    pending = [asyncio.ensure_future(writer.submit(attempt(u1, s1, facts[i % 4], seconds=i)))
               for i in range(5)]
    await asyncio.sleep(0)
    await writer.stop()
    assert all(isinstance(p.result(), AttemptOutcome) for p in pending)
    with pytest.raises(AttemptRejected) as info:
        await writer.submit(attempt(u1, s1, facts[0]))
    assert info.value.code == "writer_stopped"
    assert await count(database_url, "SELECT count(*) FROM answer_attempts WHERE user_id = $1",
                       u1) == 5


async def test_invalid_fields_are_rejected_before_batching(world, writer):
    (u1, _, _), (s1, _, _), facts = world
    with pytest.raises(AttemptRejected) as info:
        await writer.submit(attempt(u1, s1, facts[0], response_time_ms=-5))
    assert info.value.code == "invalid_attempt"


async def test_mastery_mirror_equals_the_trigger(db, database_url):
    user = await factories.make_user(db)
    _, facts = await factories.make_track(db, "+", size=10)
    rng = random.Random(5)
    cases = []
    for _ in range(400):
        total = rng.randint(1, 60)
        correct = rng.choice((0, total, total - 1, rng.randint(0, total)))
        average = rng.choice((None, rng.randint(0, 9000), rng.choice((1999, 2000, 2999, 3000,
                                                                        5999, 6000))))
        cases.append((total, max(correct, 0), average))
    conn = await asyncpg.connect(database_url)
    try:
        for start in range(0, len(cases), len(facts)):
            chunk = cases[start:start + len(facts)]
            ids = [f["id"] for f in facts[:len(chunk)]]
            rows = await conn.fetch(
                "INSERT INTO question_progress (user_id, question_id, total_attempts, "
                "correct_attempts, average_response_time) "
                "SELECT $1, q, t, c, a FROM unnest($2::uuid[], $3::int[], $4::int[], $5::int[]) "
                "AS v(q, t, c, a) ON CONFLICT (question_id, user_id) DO UPDATE SET "
                "total_attempts = EXCLUDED.total_attempts, "
                "correct_attempts = EXCLUDED.correct_attempts, "
                "average_response_time = EXCLUDED.average_response_time "
                "RETURNING question_id, mastery, fluency_level",
                user, ids, [c[0] for c in chunk], [c[1] for c in chunk], [c[2] for c in chunk])
            got = {r["question_id"]: (r["mastery"], r["fluency_level"]) for r in rows}
            for qid, case in zip(ids, chunk, strict=True):
                assert got[qid] == mastery_for(*case), case
    finally:
        await conn.close()


async def test_text_survives_the_array_parameters(db, database_url, world, writer):
    (u1, _, _), (s1, _, _), facts = world
    nasty = ['NULL', '{"a\\\\b",NULL}', "  spaced , comma ", "é × ÷ 🙂", "", 'x"y\\']
    sends = [attempt(u1, s1, facts[i % 4], seconds=i, raw_input=raw, input_method=f"m{i}",
                     device_info={"agent": raw}) for i, raw in enumerate(nasty)]
    await asyncio.gather(*(writer.submit(a) for a in sends))
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT raw_input, input_method FROM answer_attempts "
                                "WHERE user_id = $1 ORDER BY timestamp", u1)
        agents = await conn.fetch("SELECT device_info->>'agent' AS agent FROM learning_events "
                                  "WHERE user_id = $1 ORDER BY timestamp", u1)
    finally:
        await conn.close()
    assert [r["raw_input"] for r in rows] == nasty
    assert [r["input_method"] for r in rows] == [f"m{i}" for i in range(len(nasty))]
    assert [r["agent"] for r in agents] == nasty


async def test_hooks_never_see_a_retry(db, world, writer):
    (u1, _, _), (s1, _, _), facts = world
    seen = []

    async def hook(committed):
        seen.extend(outcome.attempt_id for _, outcome in committed)

    writer.add_after_commit_hook(hook)
    a, b = attempt(u1, s1, facts[0]), attempt(u1, s1, facts[1], seconds=1)
    await asyncio.gather(writer.submit(a), writer.submit(a), writer.submit(b))
    await writer.submit(a)
    assert seen == [a.attempt_id, b.attempt_id]
