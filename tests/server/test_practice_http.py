"""Solo practice over HTTP: every answer through the group-commit writer, pause and resume,
summaries, daily goal, and bad input answered with clear errors."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest
from sqlalchemy import text

from learning.catalog import track_id
from persistence.curriculum.seed import seed_curriculum
from server import app_keys
from server.app import create_app
from server.settings import Settings
from tests.server.practice_client import Clock, Student, enrol, teacher_auth
from tests.support.factories import make_user

ADD10, MULT = track_id("addition-10"), track_id("multiplication-12")


@pytest.fixture
async def app_client(aiohttp_client, clean_db, database_url, redis_url, redis_prefix, redis):
    await seed_curriculum(clean_db)
    clock = Clock(dt.datetime(2026, 3, 10, 15, 0))
    app = create_app(Settings(database_url=database_url, redis_url=redis_url,
                              redis_prefix=redis_prefix, migrate_on_start=False,
                              batch_window_ms=1))
    app[app_keys.CLOCK] = clock
    return await aiohttp_client(app), clock


async def _student(client, db, **user) -> tuple[Student, uuid.UUID]:
    user_id = await make_user(db, **user)
    teacher, _, keys = await enrol(db, user_id)
    return await Student.sign_in(client, keys[user_id]), teacher


async def test_a_practice_session_end_to_end(app_client, clean_db):
    client, clock = app_client
    alice, _ = await _student(client, clean_db, daily_goal_minutes=1)
    session = (await alice.start(ADD10))["session_id"]
    served = []
    for i in range(6):
        question = (await alice.next(session))["question"]
        # New facts, or the turn-around of one just mastered as a quick check; after the miss
        # (the 5th answer) its family-mate comes forward (fact families).
        expected = ("family_missed",) if i == 5 else ("new", "family_check")
        assert question["reason"] in expected and question["hint"], (i, question)
        served.append(question["question_id"])
        result = await alice.answer(session, question, correct=i != 4, ms=1200)
        assert result["is_correct"] is (i != 4)
        assert (result["explanation"] is None) is (i != 4)
        clock.advance(seconds=5)
    assert all(a != b for a, b in itertools.pairwise(served))
    # The wrong one (answered 5th) is the weakest: it comes back, but not straight after itself.
    comeback = (await alice.next(session))["question"]
    assert (comeback["question_id"], comeback["reason"]) == (served[4], "weakest")

    await alice.call("POST", f"/api/practice/sessions/{session}/pause")
    paused = await alice.call("GET", f"/api/practice/sessions/{session}/next", expect=409)
    assert paused["error"]["code"] == "session_paused"
    clock.advance(minutes=3)
    resumed = await alice.call("POST", f"/api/practice/sessions/{session}/resume")
    assert resumed["paused_duration"] == 180

    summary = await alice.call("POST", f"/api/practice/sessions/{session}/finish")
    assert summary["questions_answered"] == 6 and summary["correct_answers"] == 5
    assert summary["accuracy"] == 83.33 and summary["average_response_time"] == 1200
    # Each fact answered right (fluently) became mastered once; the family-mate asked after the
    # miss may be one answered before.
    right = {q for i, q in enumerate(served) if i != 4}
    assert len(summary["new_mastered_facts"]) == len(right)
    assert summary["mastery_gained"] == float(len(right))
    assert summary["paused_duration"] == 180 and summary["active_seconds"] == 30
    async with clean_db.engine.connect() as conn:
        row = (await conn.execute(text(
            "SELECT status, end_time, paused_duration FROM practice_sessions WHERE id = :s"),
            {"s": session})).first()
    assert row == ("completed", clock.now, 180)
    assert summary["daily_goal"]["goal_minutes"] == 1 and summary["daily_goal"]["met"] is False
    goal = await alice.call("GET", f"/api/users/{alice.user_id}/daily-goal")
    # Practice time, not only answering time: 1.2 s for the first answer, then the 5 s between
    # each answer and the next (26.2 s); answering alone was 7.2 s.
    assert goal["goal_minutes"] == 1 and goal["practised_minutes"] == 0.4 and not goal["met"]
    assert goal["answering_minutes"] == 0.1
    done = await alice.call("GET", f"/api/practice/sessions/{session}/next", expect=409)
    assert done["error"]["code"] == "session_completed"


async def test_a_retried_answer_is_stored_once(app_client, clean_db):
    client, _ = app_client
    alice, _ = await _student(client, clean_db)
    session = (await alice.start(ADD10))["session_id"]
    question = (await alice.next(session))["question"]
    attempt = str(uuid.uuid4())
    first = await alice.answer(session, question, attempt_id=attempt)
    again = await alice.answer(session, question, attempt_id=attempt)
    assert first["duplicate"] is False and again["duplicate"] is True
    summary = await alice.call("GET", f"/api/practice/sessions/{session}/summary")
    assert summary["questions_answered"] == 1


async def test_bad_requests_get_clear_errors(app_client, clean_db):
    client, _ = app_client
    alice, teacher = await _student(client, clean_db)
    bob, _ = await _student(client, clean_db)
    assert (await alice.start(MULT, expect=403))["error"]["code"] == "track_locked"
    assert (await alice.start(ADD10, mode="cram", expect=400))["error"]["code"] == "invalid_mode"
    assert (await alice.start(uuid.uuid4(), expect=404))["error"]["code"] == "track_not_found"
    session = (await alice.start(ADD10))["session_id"]
    question = (await alice.next(session))["question"]
    url = f"/api/practice/sessions/{session}/answers"
    for bad, code in ((
            {"attempt_id": "x", "question_id": question["question_id"], "answer": "3", "response_time_ms": 9},
            "invalid_payload"), (
            {"attempt_id": str(uuid.uuid4()), "question_id": question["question_id"], "answer": "three",
             "response_time_ms": 900}, "invalid_answer"), (
            {"attempt_id": str(uuid.uuid4()), "question_id": question["question_id"], "answer": "3",
             "response_time_ms": -1}, "invalid_response_time"), (
            {"attempt_id": str(uuid.uuid4()), "question_id": str(uuid.uuid4()), "answer": "3",
             "response_time_ms": 900}, "question_not_in_session")):
        body = await alice.call("POST", url, 400, json=bad)
        assert body["error"]["code"] == code
    assert (await alice.call("POST", url, 400, data=b"not json"))["error"]["code"] == "invalid_payload"
    extra = {"attempt_id": str(uuid.uuid4()), "question_id": question["question_id"], "answer": "3",
             "response_time_ms": 900, "points": 1000}
    assert (await alice.call("POST", url, 400, json=extra))["error"]["code"] == "invalid_payload"
    # Bob cannot see or answer in Alice's session; a teacher cannot practise.
    assert (await bob.call("GET", f"/api/practice/sessions/{session}/next", 404))["error"]["code"] \
        == "session_not_found"
    teacher_headers = await teacher_auth(clean_db, teacher)
    response = await client.post("/api/practice/sessions", headers=teacher_headers,
                                 json={"track_id": str(ADD10)})
    assert response.status == 403
    assert (await client.post("/api/students/session", json={"student_key": "NOPE"})).status == 401
    async with clean_db.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM answer_attempts")) == 0
