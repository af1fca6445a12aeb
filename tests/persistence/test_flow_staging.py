"""The answer flow's staging tables (sql/answer_flow/create_staging.sql) live per connection
and are emptied at each COMMIT; a batch that fails in the transaction that created them
drops them again, and the next batch on that connection must recreate them and work."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import asyncpg
import pytest
from sqlalchemy import text

from persistence.answer_flow import AttemptIn, AttemptOutcome
from persistence.flow_batch import QuestionCatalog, commit_batch
from tests.support import factories

T0 = dt.datetime(2026, 5, 4, 10, 0)


def attempt(user, session, fact, seconds: int, raw_input: str | None = None) -> AttemptIn:
    answer = fact["correct_answer"]
    return AttemptIn(attempt_id=uuid.uuid4(), user_id=user, session_id=session,
                     question_id=fact["id"], raw_input=raw_input or str(answer),
                     user_answer=Decimal(answer), correct_answer=answer, response_time_ms=1500,
                     answered_at=T0 + dt.timedelta(seconds=seconds))


async def staged_rows(conn: asyncpg.Connection) -> int:
    return await conn.fetchval(
        "SELECT (SELECT count(*) FROM flow_fact_rows) + (SELECT count(*) FROM flow_user_rows)"
        " + (SELECT count(*) FROM flow_day_rows) + (SELECT count(*) FROM flow_session_rows)")


async def test_a_connection_whose_first_batch_failed_stores_the_next_ones(db, database_url):
    _, facts = await factories.make_track(db, "+", size=2)
    user = await factories.make_user(db)
    session = await factories.make_session(db, user)
    async with db.sessions() as s, s.begin():
        await s.execute(text("ALTER TABLE answer_attempts ADD CONSTRAINT test_no_boom "
                             "CHECK (raw_input <> 'boom')"))
    conn = await asyncpg.connect(database_url)
    catalog = QuestionCatalog()
    try:
        with pytest.raises(asyncpg.CheckViolationError):
            await commit_batch(conn, [attempt(user, session, facts[0], 0, raw_input="boom")],
                               catalog)
        for second in (1, 2):   # recreated by the first, reused (and emptied) by the second
            [outcome] = await commit_batch(conn, [attempt(user, session, facts[1], second)],
                                           catalog)
            assert isinstance(outcome, AttemptOutcome) and not outcome.duplicate
            assert await staged_rows(conn) == 0
        stored = await conn.fetchval(
            "SELECT total_attempts FROM question_progress WHERE user_id = $1", user)
        answered = await conn.fetchval(
            "SELECT total_questions_answered FROM user_statistics WHERE user_id = $1", user)
    finally:
        await conn.close()
        async with db.sessions() as s, s.begin():
            await s.execute(text("ALTER TABLE answer_attempts DROP CONSTRAINT test_no_boom"))
    assert (stored, answered) == (2, 2)
