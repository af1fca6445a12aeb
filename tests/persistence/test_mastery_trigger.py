"""calculate_mastery() at the boundary of each CASE branch, run by the real trigger."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from tests.support import factories

# (total, correct, average_response_time) → (mastery, fluency_level)
CASES = [
    ((10, 0, 500), ("0.00", "not_started")),          # no correct answers
    ((100, 96, 1999), ("1.00", "mastered")),           # < 2000 ms and > 95 %
    ((100, 96, 2000), ("0.80", "fluency_3s_2s")),      # 2000 ms is not < 2000
    ((100, 95, 1000), ("0.80", "fluency_3s_2s")),      # 95 % is not > 95 %
    ((100, 91, 2999), ("0.80", "fluency_3s_2s")),
    ((100, 91, 3000), ("0.60", "fluency_6s")),
    ((100, 90, 1000), ("0.60", "fluency_6s")),         # 90 % is not > 90 %
    ((100, 86, 5999), ("0.60", "fluency_6s")),
    ((100, 86, 6000), ("0.40", "accuracy")),
    ((100, 85, 1000), ("0.40", "accuracy")),           # 85 % is not > 85 %
    ((100, 76, 9000), ("0.40", "accuracy")),
    ((100, 75, 9000), ("0.20", "learning")),           # 75 % is not > 75 %
    ((100, 51, 9000), ("0.20", "learning")),
    ((100, 50, 9000), ("0.10", "not_started")),        # 50 % is not > 50 %
    ((1, 1, None), ("0.40", "accuracy")),              # no average yet: accuracy branches only
]


@pytest.fixture
async def fact(db):
    user_id = await factories.make_user(db)
    _, facts = await factories.make_track(db, "×", size=1)
    return user_id, facts[0]["id"]


@pytest.mark.parametrize(("row", "expected"), CASES)
async def test_trigger_branch_boundaries(db, fact, row, expected):
    user_id, question_id = fact
    total, correct, avg = row
    async with db.sessions() as session, session.begin():
        # INSERT runs the trigger once; an UPDATE to the same values runs it again.
        await session.execute(text(
            "INSERT INTO question_progress (question_id, user_id, total_attempts, "
            "correct_attempts, incorrect_attempts, average_response_time) "
            "VALUES (:q, :u, :t, :c, :i, :a)"),
            {"q": question_id, "u": user_id, "t": total, "c": correct, "i": total - correct,
             "a": avg})
        inserted = (await session.execute(text(
            "SELECT mastery, fluency_level FROM question_progress WHERE user_id = :u"),
            {"u": user_id})).one()
        await session.execute(text(
            "UPDATE question_progress SET mastery = 0.99, fluency_level = 'x' WHERE user_id = :u"),
            {"u": user_id})
        updated = (await session.execute(text(
            "SELECT mastery, fluency_level FROM question_progress WHERE user_id = :u"),
            {"u": user_id})).one()
    want = (Decimal(expected[0]), expected[1])
    assert tuple(inserted) == want
    assert tuple(updated) == want
