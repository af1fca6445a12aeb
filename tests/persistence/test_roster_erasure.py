"""Erasing a student must reach every table that can hold their rows."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import asyncpg
from sqlalchemy import text

from persistence import rosters
from persistence.answer_flow import AttemptIn
from persistence.flow_batch import QuestionCatalog, commit_batch
from persistence.rosters import STUDENT_DATA
from tests.support import factories


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


def _attempt(user_id, session_id, fact, minute: int) -> AttemptIn:
    return AttemptIn(
        attempt_id=uuid.uuid4(), user_id=user_id, session_id=session_id,
        question_id=fact["id"], raw_input=str(fact["correct_answer"]),
        user_answer=fact["correct_answer"], correct_answer=fact["correct_answer"],
        response_time_ms=1500, answered_at=dt.datetime(2026, 3, 2, 9, minute))


async def test_erasure_waits_for_a_batch_in_flight_and_leaves_nothing(db, database_url):
    """A student removed while the writer is committing a batch of theirs: the erasure waits
    for that batch (the writer's users-row lock) and then erases its rows too. Before the
    erasure took that lock, it deleted learning_events before the batch committed its own,
    and then failed on the users foreign key."""
    teacher = await factories.make_user(db, role="teacher")
    record = await rosters.create_class(db, teacher, "erasure race")
    (entry,) = await rosters.add_students(db, record.id, ["Ada"])
    session_id = await factories.make_session(db, entry.user_id)
    _, facts = await factories.make_track(db, "×", size=2)
    catalog = QuestionCatalog()
    conn = await asyncpg.connect(database_url)
    try:
        # A day already played, so the batch below updates rows that exist (and holds them).
        await commit_batch(conn, [_attempt(entry.user_id, session_id, facts[0], 0)], catalog)
        batch = conn.transaction()
        await batch.start()
        # commit_batch inside an outer transaction: its locks are held until that commits.
        results = await commit_batch(conn, [_attempt(entry.user_id, session_id, facts[1], 1)],
                                     catalog)
        assert not results[0].duplicate
        erasure = asyncio.create_task(rosters.remove_student(db, record.id, entry.user_id))
        await asyncio.sleep(0.5)
        assert not erasure.done()   # waiting for the batch's lock
        await batch.commit()
        assert await asyncio.wait_for(erasure, 10) is True
        for table in STUDENT_DATA:
            if table != "answer_attempts_archive":
                left = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE user_id = $1",
                                           entry.user_id)
                assert left == 0, table
        # A batch after the erasure finds the student gone and stores nothing.
        late = await commit_batch(conn, [_attempt(entry.user_id, session_id, facts[2], 2)], catalog)
        assert late[0].code == "unknown_user"
    finally:
        await conn.close()
