"""Setting a student's standing on facts directly, as the answer flow would have left it."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import text

from persistence.database import Database


async def set_progress(db: Database, user_id: uuid.UUID, question_id: uuid.UUID, *, total: int,
                       correct: int, avg_ms: int, next_review: dt.date | None = None,
                       last: dt.datetime | None = None, total_ms: int | None = None,
                       streak: int | None = None) -> None:
    """One question_progress row; the seed's trigger derives mastery and fluency_level.
    `streak` is current_streak (by default `correct`, as if the right answers came last):
    0 says the last answer was wrong."""
    last = last or dt.datetime(2026, 1, 1, 12)
    async with db.engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO question_progress (question_id, user_id, total_attempts, correct_attempts, "
            "incorrect_attempts, average_response_time, total_response_time, last_response_time, "
            "first_attempt_date, last_attempt_date, next_review_date, current_streak) VALUES (:q, :u, :t, "
            ":c, :wrong, :ms, :total_ms, :ms, :last, :last, :nr, :streak) "
            "ON CONFLICT (question_id, user_id) DO UPDATE SET "
            "total_attempts = EXCLUDED.total_attempts, correct_attempts = EXCLUDED.correct_attempts, "
            "incorrect_attempts = EXCLUDED.incorrect_attempts, "
            "average_response_time = EXCLUDED.average_response_time, "
            "total_response_time = EXCLUDED.total_response_time, "
            "last_response_time = EXCLUDED.last_response_time, "
            "last_attempt_date = EXCLUDED.last_attempt_date, next_review_date = EXCLUDED.next_review_date, "
            "current_streak = EXCLUDED.current_streak"),
            {"q": question_id, "u": user_id, "t": total, "c": correct, "wrong": total - correct,
             "total_ms": avg_ms * total if total_ms is None else total_ms,
             "ms": avg_ms, "last": last,
             "nr": next_review, "streak": correct if streak is None else streak})


async def track_question_ids(db: Database, track_id: uuid.UUID) -> list[uuid.UUID]:
    async with db.engine.connect() as conn:
        return list((await conn.execute(text(
            "SELECT id FROM questions WHERE track_id = :t ORDER BY sequence_number"),
            {"t": track_id})).scalars())


async def section_question_ids(db: Database, track_id: uuid.UUID) -> list[list[uuid.UUID]]:
    async with db.engine.connect() as conn:
        return [list(ids) for ids in (await conn.execute(text(
            "SELECT question_ids FROM track_sections WHERE track_id = :t ORDER BY sequence_number"),
            {"t": track_id})).scalars()]
