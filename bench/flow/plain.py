"""The `plain` mode of bench.flow: the throughput target's yardstick, measured on this machine.

The target is stated next to "one transaction per attempt measured about 3,200/s here with
plain asyncpg". This mode is that yardstick: the seed's answer submission flow as five
statements (INSERT answer_attempts, UPDATE question_progress, UPDATE user_statistics, UPDATE
daily_practice_summaries, INSERT learning_events), one transaction per attempt, each statement
prepared once per connection (asyncpg's statement cache) and the arithmetic done in SQL on
the stored row, nothing read back into Python.

It is a calibration baseline, not a second implementation of the flow: no SM-2 review
schedule, no recent_attempts, no JSON statistics (facts_by_fluency_level,
performance_by_operation), no achievements, no mastery bonus, no practice-session counters,
no day streaks or practice minutes per period, no retry (attempt_id) or ownership checks.
The calculate_mastery trigger does run, as it must. Its counters are right only when one
user's attempts commit in order, which the bench's workload makes likely (consecutive
attempts belong to different students) but does not enforce.
"""

from __future__ import annotations

import asyncpg

from bench.common.cpu_meter import CpuMeter
from bench.flow.one_by_one import run_one_by_one
from persistence.answer_flow import AttemptIn

# Step 1. attempt_number is a constant 1: counting earlier attempts at the fact would be a read.
# fluency_score as learning/flow_rules.fluency_score: 0 when wrong, else 2000 ms / response
# time clamped to [0.10, 1.00].
INSERT_ATTEMPT = """
INSERT INTO answer_attempts (
    attempt_id, question_id, user_id, session_id, user_answer, is_correct, correct_answer,
    response_time, timestamp, input_method, raw_input, attempt_number, hints_used, fluency_score)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12,
        CASE WHEN NOT $6 THEN 0.00
             WHEN $8 <= 2000 THEN 1.00
             ELSE GREATEST(round(2000.0 / $8, 2), 0.10) END)
"""

# Step 2. The seed's UPDATE, as an upsert so that a student's first attempt at a fact creates
# its row. mastery and fluency_level are left to the calculate_mastery trigger.
UPSERT_QUESTION_PROGRESS = """
INSERT INTO question_progress AS qp (
    user_id, question_id, total_attempts, correct_attempts, incorrect_attempts,
    total_response_time, average_response_time, best_response_time, last_response_time,
    first_attempt_date, last_attempt_date, current_streak, best_streak)
VALUES ($1, $2, 1, $3::boolean::int, 1 - $3::boolean::int, $4::int, $4::int, $4::int, $4::int,
        $5, $5, $3::boolean::int, $3::boolean::int)
ON CONFLICT (question_id, user_id) DO UPDATE SET
    total_attempts = qp.total_attempts + 1,
    correct_attempts = qp.correct_attempts + EXCLUDED.correct_attempts,
    incorrect_attempts = qp.incorrect_attempts + EXCLUDED.incorrect_attempts,
    total_response_time = qp.total_response_time + EXCLUDED.total_response_time,
    average_response_time = round((qp.total_response_time + EXCLUDED.total_response_time)::numeric
                                  / (qp.total_attempts + 1)),
    best_response_time = LEAST(qp.best_response_time, EXCLUDED.best_response_time),
    last_response_time = EXCLUDED.last_response_time,
    last_attempt_date = EXCLUDED.last_attempt_date,
    current_streak = CASE WHEN EXCLUDED.correct_attempts = 1 THEN qp.current_streak + 1 ELSE 0 END,
    best_streak = GREATEST(qp.best_streak,
                           CASE WHEN EXCLUDED.correct_attempts = 1 THEN qp.current_streak + 1 ELSE 0 END)
"""

# Step 3. The rows exist: run_plain creates them before the clock starts (CREATE_USER_STATISTICS).
# Experience as learning/flow_rules.experience_for without the mastered bonus.
UPDATE_USER_STATISTICS = """
UPDATE user_statistics SET
    total_questions_answered = total_questions_answered + 1,
    total_correct_answers = total_correct_answers + $2::boolean::int,
    overall_accuracy = round(100.0 * (total_correct_answers + $2::boolean::int)
                             / (total_questions_answered + 1), 2),
    total_response_time = total_response_time + $3::int,
    average_response_time = round((total_response_time + $3::int)::numeric / (total_questions_answered + 1)),
    experience_points = experience_points
        + CASE WHEN NOT $2 THEN 2 WHEN $3::int < 3000 AND $4::int = 0 THEN 15 ELSE 10 END,
    last_practice_date = $5::timestamp::date,
    updated_at = now() AT TIME ZONE 'UTC'
WHERE user_id = $1
"""

# Step 4. The seed's UPDATE, as an upsert: the first attempt of a (student, UTC day) creates its row.
UPSERT_DAILY_SUMMARY = """
INSERT INTO daily_practice_summaries AS d (
    user_id, date, total_minutes, questions_answered, correct_answers, accuracy,
    average_response_time, total_response_time)
VALUES ($1, $2::timestamp::date, $4::int / 60000, 1, $3::boolean::int,
        CASE WHEN $3 THEN 100.00 ELSE 0.00 END, $4::int, $4::int)
ON CONFLICT (user_id, date) DO UPDATE SET
    questions_answered = d.questions_answered + 1,
    correct_answers = d.correct_answers + EXCLUDED.correct_answers,
    accuracy = round(100.0 * (d.correct_answers + EXCLUDED.correct_answers) / (d.questions_answered + 1), 2),
    total_response_time = d.total_response_time + EXCLUDED.total_response_time,
    total_minutes = (d.total_response_time + EXCLUDED.total_response_time) / 60000,
    average_response_time = round((d.total_response_time + EXCLUDED.total_response_time)::numeric
                                  / (d.questions_answered + 1))
"""

# Step 5. A small payload built by PostgreSQL.
INSERT_EVENT = """
INSERT INTO learning_events (type, user_id, timestamp, payload)
VALUES ('answer_submitted', $1, $2,
        jsonb_build_object('attempt_id', $3::uuid, 'question_id', $4::uuid, 'session_id', $5::uuid,
                           'is_correct', $6::boolean, 'response_time', $7::int))
"""

# Setup, before the clock: every student gets the user_statistics row step 3 updates.
CREATE_USER_STATISTICS = """
INSERT INTO user_statistics (user_id) SELECT id FROM users ON CONFLICT (user_id) DO NOTHING
"""


async def store_attempt(conn: asyncpg.Connection, a: AttemptIn) -> None:
    """One attempt, one transaction, five statements."""
    # Grading the answer is the caller's comparison, as in the server; everything else is SQL.
    correct = a.user_answer == a.correct_answer
    rt = a.response_time_ms
    async with conn.transaction():
        await conn.execute(INSERT_ATTEMPT, a.attempt_id, a.question_id, a.user_id, a.session_id,
                           a.user_answer, correct, a.correct_answer, rt, a.answered_at,
                           a.input_method, a.raw_input, a.hints_used)
        await conn.execute(UPSERT_QUESTION_PROGRESS, a.user_id, a.question_id, correct, rt,
                           a.answered_at)
        await conn.execute(UPDATE_USER_STATISTICS, a.user_id, correct, rt, a.hints_used,
                           a.answered_at)
        await conn.execute(UPSERT_DAILY_SUMMARY, a.user_id, a.answered_at, correct, rt)
        await conn.execute(INSERT_EVENT, a.user_id, a.answered_at, a.attempt_id, a.question_id,
                           a.session_id, correct, rt)


async def run_plain(url: str, attempts: list[AttemptIn], budget_s: float, meter: CpuMeter,
                    connections: int) -> tuple[float, int, tuple[float, float | None]]:
    """Like bench.flow.run_per_attempt, with store_attempt instead of commit_batch: `connections`
    workers take the attempts in order from one iterator until `budget_s` has passed. Returns
    (committed attempts/s, committed attempts, CPU)."""
    return await run_one_by_one(url, attempts, budget_s, meter, connections, store_attempt,
                                prepare=lambda conn: conn.execute(CREATE_USER_STATISTICS))
