"""Live points per student and period, from PostgreSQL (persistence/live_points.py): what the
daily and weekly boards are built from."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import text

from persistence.live_points import PostgresLivePoints
from tests.support import factories, room_factories

MONDAY = dt.datetime(2026, 11, 23)
DAY = (MONDAY + dt.timedelta(days=2), MONDAY + dt.timedelta(days=3))  # Wednesday
WEEK = (MONDAY, MONDAY + dt.timedelta(days=7))


async def answered(db, player, fact, index: int, points: int, at: dt.datetime) -> None:
    attempt_id = await room_factories.add_attempt(db, player, fact, index, answer="3",
                                                  response_time=1000, points=points)
    async with db.engine.begin() as conn:
        await conn.execute(text("UPDATE answer_attempts SET timestamp = :at WHERE attempt_id = :a"),
                           {"at": at, "a": attempt_id})


async def test_points_of_live_answers_in_each_window(db):
    teacher = await factories.make_user(db, role="teacher")
    _, facts = await factories.make_track(db)
    room = await room_factories.make_room(db, teacher)
    ada = await room_factories.add_player(db, room, "Ada", 1)
    bo = await room_factories.add_player(db, room, "Bo", 2)
    stranger = await room_factories.add_player(db, room, "Stranger", 3)
    wednesday, tuesday = DAY[0] + dt.timedelta(hours=9), DAY[0] - dt.timedelta(hours=3)
    await answered(db, ada, facts[0], 0, 900, wednesday)
    await answered(db, ada, facts[1], 1, 700, tuesday)
    await answered(db, ada, facts[2], 2, 1000, WEEK[0] - dt.timedelta(minutes=1))  # last week
    await answered(db, bo, facts[0], 0, 0, wednesday)
    await answered(db, stranger, facts[0], 0, 800, wednesday)
    # A practice answer of Ada's (no points) in a session of her own counts for nothing.
    session_id = await factories.make_session(db, ada.user_id)
    async with db.engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO answer_attempts (question_id, user_id, session_id, user_answer, is_correct, "
            "correct_answer, response_time, input_method, attempt_number, attempt_id, timestamp) "
            "VALUES (:q, :u, :s, 1, true, 1, 900, 'keyboard', 1, :a, :at)"),
            {"q": facts[0]["id"], "u": ada.user_id, "s": session_id, "a": uuid.uuid4(), "at": wednesday})

    points = await PostgresLivePoints(db).live_points([ada.user_id, bo.user_id, uuid.uuid4()], [DAY, WEEK])
    assert points == {ada.user_id: [900, 1600], bo.user_id: [0, 0]}
    assert await PostgresLivePoints(db).live_points([], [DAY]) == {}
