"""Erasing a student must reach every table that can hold their rows."""

from __future__ import annotations

from sqlalchemy import text

from persistence.rosters import STUDENT_DATA


async def test_every_table_referencing_users_without_cascade_is_erased(db):
    # A new table with a non-cascading foreign key to users (or to practice_sessions, which
    # the erasure deletes) would make deleting a class fail; it must join STUDENT_DATA.
    async with db.engine.connect() as conn:
        referencing = set((await conn.scalars(text(
            "SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f' "
            "AND confrelid IN ('users'::regclass, 'practice_sessions'::regclass) "
            "AND confdeltype <> 'c' AND conrelid <> 'users'::regclass"))).all())
    assert {"answer_attempts", "question_progress", "learning_events"} <= referencing  # not vacuous
    assert referencing <= set(STUDENT_DATA), referencing - set(STUDENT_DATA)
    # Children before parents: whatever references practice_sessions is erased before it.
    assert STUDENT_DATA[-1] == "practice_sessions"
