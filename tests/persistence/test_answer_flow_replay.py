"""Hundreds of random attempts from concurrent submitters through two GroupCommitWriters; then
every aggregate table must equal an independent recomputation from answer_attempts."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import uuid
from decimal import Decimal

import asyncpg

from persistence.answer_flow import AttemptIn, AttemptOutcome
from persistence.group_commit import GroupCommitWriter
from tests.persistence import flow_recompute as rc
from tests.support import factories

USERS = 6
DAYS = 12


async def make_world(db):
    _, times = await factories.make_track(db, "×", size=3)
    _, plus = await factories.make_track(db, "+", size=2)
    facts = times + plus
    students = []
    for i in range(USERS):
        user = await factories.make_user(db, daily_goal_minutes=(1, 2, 15)[i % 3])
        sessions = [await factories.make_session(db, user, mode=mode)
                    for mode in ("practice", "speed")]
        students.append((user, sessions))
    return students, facts


def plan(rng: random.Random, students, facts) -> dict[uuid.UUID, list[AttemptIn]]:
    """Per student, attempts in strictly increasing time over a few days with gaps."""
    plans = {}
    start = dt.datetime(2026, 2, 27, 8, 0)   # crosses a month and an ISO week boundary
    for index, (user, sessions) in enumerate(students):
        fast = index % 2 == 0     # half the students become fluent: mastery gets exercised
        days = sorted(rng.sample(range(DAYS), 6))
        attempts = []
        for day in days:
            at = start + dt.timedelta(days=day, minutes=rng.randint(0, 600))
            session = rng.choice(sessions)
            for _ in range(rng.randint(3, 12)):
                at += dt.timedelta(seconds=rng.randint(1, 90), microseconds=rng.randint(0, 999))
                fact = rng.choice(facts[:4] if fast else facts)
                correct = rng.random() < (0.97 if fast else 0.7)
                answer = fact["correct_answer"]
                given = answer if correct else answer + 1
                attempts.append(AttemptIn(
                    attempt_id=uuid.uuid4(), user_id=user, session_id=session,
                    question_id=fact["id"], raw_input=str(given), user_answer=Decimal(given),
                    correct_answer=answer,
                    response_time_ms=rng.randint(400, 1900) if fast else rng.randint(500, 25000),
                    answered_at=at, hints_used=rng.choice((0, 0, 0, 1)),
                    input_method=rng.choice(("keyboard", "touch")),
                    device_info={"n": index} if rng.random() < 0.3 else None))
        plans[user] = attempts
    return plans


async def replay(rng, plans, writer_a, writer_b) -> dict[uuid.UUID, list[AttemptOutcome]]:
    """Each student submits in order: chunks of 1–4 at once (several in one batch), some
    retried inside the chunk, some retried later, some raced across the two writers."""
    outcomes: dict[uuid.UUID, list[AttemptOutcome]] = {}

    def record(result: AttemptOutcome) -> None:
        outcomes.setdefault(result.attempt_id, []).append(result)

    async def student(attempts: list[AttemptIn]) -> None:
        done: list[AttemptIn] = []
        i = 0
        while i < len(attempts):
            if rng.random() < 0.1:   # the same attempt to both writers at once
                a = attempts[i]
                for result in await asyncio.gather(writer_a.submit(a), writer_b.submit(a)):
                    record(result)
                done.append(a)
                i += 1
                continue
            chunk = attempts[i:i + rng.randint(1, 4)]
            i += len(chunk)
            sends = []
            for a in chunk:
                sends.append(a)
                if rng.random() < 0.15:
                    sends.append(a)                      # retried before the ack
            if done and rng.random() < 0.2:
                sends.insert(0, rng.choice(done))        # retried long after its ack
            writer = rng.choice((writer_a, writer_b))
            for result in await asyncio.gather(*(writer.submit(a) for a in sends)):
                record(result)
            done.extend(chunk)

    await asyncio.gather(*(student(attempts) for attempts in plans.values()))
    return outcomes


def jsonish(value):
    return json.loads(value) if isinstance(value, str) else value


async def test_replay_equals_recomputation(db, database_url):
    rng = random.Random(20261124)
    students, facts = await make_world(db)
    plans = plan(rng, students, facts)
    total = sum(len(p) for p in plans.values())
    assert total >= 250
    batches: list[int] = []   # per committed batch of writer_a

    async def count_batch(committed):
        users = [a.user_id for a, _ in committed]
        batches.append(len(users) - len(set(users)))   # attempts sharing a student

    writer_a = GroupCommitWriter(db, max_batch=8, window_ms=2)
    writer_b = GroupCommitWriter(db, max_batch=50, window_ms=1)
    writer_a.add_after_commit_hook(count_batch)
    await writer_a.start()
    await writer_b.start()
    try:
        outcomes = await replay(rng, plans, writer_a, writer_b)
    finally:
        await writer_a.stop()
        await writer_b.stop()
    assert max(batches) >= 1, "several attempts by one student must have shared a batch"

    # Every attempt stored exactly once; every retry answered with the stored row.
    all_attempts = [a for p in plans.values() for a in p]
    assert set(outcomes) == {a.attempt_id for a in all_attempts}
    retried = 0
    for attempt_id, results in outcomes.items():
        assert sum(not r.duplicate for r in results) == 1, attempt_id
        assert len({r.answer_id for r in results}) == 1
        retried += len(results) > 1
    assert retried >= 20

    conn = await asyncpg.connect(database_url)
    try:
        user_ids = [u for u, _ in students]
        stored = await rc.load(conn, user_ids)
        assert len(stored) == total
        r = rc.recompute(stored)
        await check_attempts(conn, stored, r, outcomes)
        await check_question_progress(conn, user_ids, r, outcomes, plans)
        await check_user_statistics(conn, user_ids, r)
        await check_daily_summaries(conn, user_ids, r)
        await check_sessions(conn, [s for _, ss in students for s in ss], r)
        events = await conn.fetch(
            "SELECT payload::text AS p FROM learning_events WHERE user_id = ANY($1::uuid[]) "
            "AND type = 'answer_submitted'", user_ids)
        assert sorted(json.loads(e["p"])["attempt_id"] for e in events) == sorted(
            str(a.attempt_id) for a in all_attempts)
    finally:
        await conn.close()


async def check_attempts(conn, stored, r, outcomes):
    for a in stored:
        assert a["attempt_number"] == r["attempt_numbers"][a["attempt_id"]]
        rt = a["response_time"]
        score = Decimal("0.00") if not a["is_correct"] else max(
            Decimal("0.10"), min(Decimal("1.00"), (Decimal(2000) / Decimal(max(rt, 1))).quantize(
                Decimal("0.01"))))
        assert a["fluency_score"] == score
        assert a["is_correct"] == (a["user_answer"] == a["correct_answer"])
        assert outcomes[a["attempt_id"]][0].answer_id == a["id"]


async def check_question_progress(conn, user_ids, r, outcomes, plans):
    rows = await conn.fetch("SELECT *, recent_attempts::text AS recent FROM question_progress "
                            "WHERE user_id = ANY($1::uuid[])", user_ids)
    expected = rc.expected_question_progress(r)
    assert len(rows) == len(expected)
    for row in rows:
        want = expected[(row["user_id"], row["question_id"])]
        got = {k: row[k] for k in want if k != "recent_attempts"}
        got["recent_attempts"] = json.loads(row["recent"])
        assert got == want, (row["user_id"], row["question_id"])
    # The writer's mirror of the trigger: the last outcome per fact equals the stored row.
    last_outcome = {}
    for attempts in plans.values():
        for a in attempts:
            last_outcome[(a.user_id, a.question_id)] = outcomes[a.attempt_id][0]
    for row in rows:
        outcome = last_outcome[(row["user_id"], row["question_id"])]
        assert (outcome.mastery, outcome.fluency_level) == (row["mastery"], row["fluency_level"])
    assert {row["fluency_level"] for row in rows} >= {"mastered"}


async def check_user_statistics(conn, user_ids, r):
    rows = await conn.fetch(
        "SELECT *, facts_by_fluency_level::text AS levels, performance_by_operation::text AS ops "
        "FROM user_statistics WHERE user_id = ANY($1::uuid[])", user_ids)
    expected = rc.expected_user_statistics(r)
    assert len(rows) == len(expected) == len(user_ids)
    for row in rows:
        want = expected[row["user_id"]]
        got = {k: row[k] for k in want}
        got["facts_by_fluency_level"] = json.loads(row["levels"])
        got["performance_by_operation"] = json.loads(row["ops"])
        got["achievements_unlocked"] = list(row["achievements_unlocked"])
        assert got == want, row["user_id"]


async def check_daily_summaries(conn, user_ids, r):
    rows = await conn.fetch("SELECT *, time_by_mode::text AS modes FROM daily_practice_summaries "
                            "WHERE user_id = ANY($1::uuid[])", user_ids)
    expected = rc.expected_daily_summaries(r)
    assert len(rows) == len(expected)
    for row in rows:
        want = expected[(row["user_id"], row["date"])]
        got = {k: row[k] for k in want}
        got["time_by_mode"] = json.loads(row["modes"])
        assert got == want, (row["user_id"], row["date"])
    assert any(w["daily_goal_met"] for w in expected.values())
    assert any(not w["daily_goal_met"] for w in expected.values())


async def check_sessions(conn, session_ids, r):
    rows = await conn.fetch("SELECT * FROM practice_sessions WHERE id = ANY($1::uuid[])",
                            session_ids)
    expected = rc.expected_sessions(r)
    for row in rows:
        want = expected.get(row["id"])
        if want is None:
            assert row["questions_answered"] == 0
            continue
        got = {k: row[k] for k in want}
        got["new_mastered_facts"] = list(row["new_mastered_facts"] or [])
        assert got == want, row["id"]
