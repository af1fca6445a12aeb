"""The app starts a GroupCommitWriter on its database and drains it on shutdown."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from persistence.answer_flow import AttemptIn, AttemptRejected
from server import app_keys
from tests.support import factories


async def test_the_app_runs_the_answer_writer(make_client, db):
    client = await make_client(batch_max_attempts=7, batch_window_ms=1)
    app = client.server.app
    writer = app[app_keys.ANSWER_WRITER]
    user = await factories.make_user(db)
    _, facts = await factories.make_track(db, "+", size=1)
    session = await factories.make_session(db, user)
    fact = facts[0]
    attempt = AttemptIn(attempt_id=uuid.uuid4(), user_id=user, session_id=session,
                        question_id=fact["id"], raw_input="2", user_answer=fact["correct_answer"],
                        correct_answer=fact["correct_answer"], response_time_ms=800,
                        answered_at=dt.datetime(2026, 1, 5, 9))
    outcome = await writer.submit(attempt)
    assert outcome.is_correct and not outcome.duplicate
    await client.close()   # runs the cleanup contexts: the writer stops first
    with pytest.raises(AttemptRejected) as info:
        await writer.submit(attempt)
    assert info.value.code == "writer_stopped"
