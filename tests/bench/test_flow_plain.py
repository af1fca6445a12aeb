"""bench.flow's plain mode (bench/flow/plain.py) in miniature: correctness only, never a time.

The rate it reports is committed attempts over time, so the attempts it counts must be exactly
the ones stored, whether it works through all of them or stops at its time budget.
"""

from __future__ import annotations

import collections
from urllib.parse import urlsplit

import asyncpg

from bench.common.cpu_meter import CpuMeter
from bench.flow.plain import run_plain
from bench.flow.run import PER_ATTEMPT_CONNECTIONS
from bench.flow.workload import seed, workload


async def _counts(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        return dict(await conn.fetchrow(
            "SELECT (SELECT count(*) FROM answer_attempts) AS attempts, "
            "(SELECT count(*) FROM learning_events) AS events, "
            "(SELECT coalesce(sum(total_attempts), 0) FROM question_progress) AS fact_attempts, "
            "(SELECT coalesce(sum(total_questions_answered), 0) FROM user_statistics) AS user_answers, "
            "(SELECT coalesce(sum(questions_answered), 0) FROM daily_practice_summaries) AS day_answers"))
    finally:
        await conn.close()


async def test_plain_mode_stores_every_attempt_it_counts(postgres_server_url, database_url, clean_db):
    students, facts = await seed(database_url, 5)
    attempts = workload(students, facts, 60)
    meter = CpuMeter(postgres_server_url, urlsplit(database_url).path.lstrip("/"))
    rate, count, _cpu = await run_plain(database_url, attempts, 60.0, meter, PER_ATTEMPT_CONNECTIONS)
    assert count == len(attempts) and rate > 0
    stored = await _counts(database_url)
    assert stored == dict.fromkeys(stored, count)

    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT user_id, question_id, total_attempts, correct_attempts, "
                                "incorrect_attempts, mastery FROM question_progress")
        correct = await conn.fetchval("SELECT sum(total_correct_answers) FROM user_statistics")
    finally:
        await conn.close()
    by_fact = collections.Counter((a.user_id, a.question_id) for a in attempts)
    right = collections.Counter((a.user_id, a.question_id) for a in attempts
                                if a.user_answer == a.correct_answer)
    assert {(r["user_id"], r["question_id"]): r["total_attempts"] for r in rows} == by_fact
    for r in rows:
        key = (r["user_id"], r["question_id"])
        assert (r["correct_attempts"], r["incorrect_attempts"]) == (right[key], by_fact[key] - right[key])
        assert r["mastery"] is not None   # the calculate_mastery trigger ran
    assert correct == sum(right.values())


async def test_plain_mode_stopped_by_its_budget_counts_only_what_it_committed(
        postgres_server_url, database_url, clean_db):
    students, facts = await seed(database_url, 5)
    attempts = workload(students, facts, 60)
    meter = CpuMeter(postgres_server_url, urlsplit(database_url).path.lstrip("/"))
    _rate, count, _cpu = await run_plain(database_url, attempts, 0.0, meter, PER_ATTEMPT_CONNECTIONS)
    assert count == PER_ATTEMPT_CONNECTIONS   # each worker stores one attempt, then sees the deadline
    stored = await _counts(database_url)
    assert stored == dict.fromkeys(stored, count)
