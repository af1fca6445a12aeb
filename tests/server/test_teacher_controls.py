"""A teacher's controls over HTTP, per student and per class: assign a track, unlock a locked
track (a learning event), the daily goal, accommodations; who may do what; what a student
sees of them (settings, today's overview, the practice summary)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import text

from learning.catalog import track_id
from persistence.curriculum.seed import seed_curriculum
from server import app_keys
from server.app import create_app
from server.settings import Settings
from tests.server.conftest import assert_error
from tests.server.practice_client import Clock, Student, enrol, teacher_auth
from tests.support.factories import make_user

ADD10, MULT, DIV = track_id("addition-10"), track_id("multiplication-12"), track_id("division-12")


@pytest.fixture
async def app_client(aiohttp_client, clean_db, database_url, redis_url, redis_prefix, redis):
    await seed_curriculum(clean_db)
    clock = Clock(dt.datetime(2026, 3, 10, 15, 0))
    app = create_app(Settings(database_url=database_url, redis_url=redis_url,
                              redis_prefix=redis_prefix, migrate_on_start=False, batch_window_ms=1))
    app[app_keys.CLOCK] = clock
    return await aiohttp_client(app), clock


@pytest.fixture
async def classroom(app_client, clean_db):
    client, clock = app_client
    ada, bo = await make_user(clean_db), await make_user(clean_db)
    teacher, class_id, keys = await enrol(clean_db, ada, bo)
    return {"client": client, "clock": clock, "ada": ada, "bo": bo, "class_id": class_id,
            "auth": await teacher_auth(clean_db, teacher), "teacher": teacher, "keys": keys}


async def test_a_teacher_sets_a_students_accommodations_and_goal(classroom, clean_db):
    c = classroom
    client, ada = c["client"], c["ada"]
    resp = await client.get(f"/api/users/{ada}/settings", headers=c["auth"])
    assert await resp.json() == {"user_id": str(ada), "assigned_track_id": None, "time_multiplier": 1,
                                 "accuracy_scoring": False, "daily_goal_minutes": 15}
    resp = await client.patch(f"/api/users/{ada}/settings", headers=c["auth"], json={
        "time_multiplier": 1.5, "accuracy_scoring": True, "daily_goal_minutes": 10})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["time_multiplier"] == 1.5
    resp = await client.patch(f"/api/users/{ada}/settings", headers=c["auth"],
                              json={"time_multiplier": "untimed"})
    body = await resp.json()
    assert (body["time_multiplier"], body["accuracy_scoring"], body["daily_goal_minutes"]) == (
        "untimed", True, 10)
    # The student reads their own settings; another student's are not theirs to read.
    student = await Student.sign_in(client, c["keys"][ada])
    mine = await student.call("GET", f"/api/users/{ada}/settings")
    assert mine["time_multiplier"] == "untimed"
    await student.call("GET", f"/api/users/{c['bo']}/settings", expect=403)
    # A student cannot change them.
    refused = await client.patch(f"/api/users/{ada}/settings", headers=student.auth,
                                 json={"time_multiplier": 2})
    await assert_error(refused, 401, "unauthorized")
    async with clean_db.engine.connect() as conn:
        assert await conn.scalar(text("SELECT daily_goal_minutes FROM users WHERE id = :u"),
                                 {"u": ada}) == 10


async def test_bad_settings_are_refused(classroom):
    c = classroom
    for body in ({"time_multiplier": 3}, {"time_multiplier": "slow"}, {"time_multiplier": None},
                 {"daily_goal_minutes": 0}, {"accuracy_scoring": "yes"}, {"colour": 1},
                 {"assigned_track_id": "5b0c9e8c-1a86-4a1b-9f55-1f0d1c6f2f11"}):
        resp = await c["client"].patch(f"/api/users/{c['ada']}/settings", headers=c["auth"], json=body)
        await assert_error(resp, 400, "invalid_payload")


async def test_another_teacher_cannot_touch_these_students(classroom, clean_db):
    c = classroom
    other, _, _ = await enrol(clean_db, await make_user(clean_db))
    other_auth = await teacher_auth(clean_db, other)
    resp = await c["client"].patch(f"/api/users/{c['ada']}/settings", headers=other_auth,
                                   json={"time_multiplier": 2})
    await assert_error(resp, 403, "forbidden")
    resp = await c["client"].post(f"/api/users/{c['ada']}/tracks/{MULT}/unlock", headers=other_auth)
    await assert_error(resp, 403, "forbidden")
    resp = await c["client"].patch(f"/api/classes/{c['class_id']}/settings", headers=other_auth,
                                   json={"accuracy_scoring": True})
    await assert_error(resp, 404, "class_not_found")


async def test_unlocking_a_track_is_a_learning_event_and_opens_practice(classroom, clean_db):
    c = classroom
    client, ada = c["client"], c["ada"]
    student = await Student.sign_in(client, c["keys"][ada])
    locked = await student.start(MULT, expect=403)
    assert locked["error"]["code"] == "track_locked"
    resp = await client.post(f"/api/users/{ada}/tracks/{MULT}/unlock", headers=c["auth"])
    assert (await resp.json())["unlocked_now"] is True
    again = await client.post(f"/api/users/{ada}/tracks/{MULT}/unlock", headers=c["auth"])
    assert (await again.json())["unlocked_now"] is False  # already open: no second event
    assert (await student.tracks())[MULT]["is_unlocked"]
    await student.start(MULT)
    async with clean_db.engine.connect() as conn:
        events = (await conn.execute(text(
            "SELECT user_id, payload FROM learning_events WHERE type = 'track_unlocked'"))).all()
    assert len(events) == 1 and events[0][0] == ada
    payload = events[0][1] if isinstance(events[0][1], dict) else json.loads(events[0][1])
    assert payload == {"track_id": str(MULT), "teacher_id": str(c["teacher"]), "reason": "teacher"}
    await assert_error(await client.post(
        f"/api/users/{ada}/tracks/5b0c9e8c-1a86-4a1b-9f55-1f0d1c6f2f11/unlock", headers=c["auth"]),
        404, "track_not_found")


async def test_a_whole_class_at_once_and_an_assigned_track(classroom):
    c = classroom
    client = c["client"]
    resp = await client.patch(f"/api/classes/{c['class_id']}/settings", headers=c["auth"],
                              json={"assigned_track_id": str(DIV), "time_multiplier": 2})
    assert resp.status == 200, await resp.text()
    students = (await resp.json())["students"]
    assert {s["user_id"] for s in students} == {str(c["ada"]), str(c["bo"])}
    assert all(s["assigned_track_id"] == str(DIV) and s["time_multiplier"] == 2 for s in students)
    # Assigning a locked track opens it for the students it was locked for.
    bo = await Student.sign_in(client, c["keys"][c["bo"]])
    assert (await bo.tracks())[DIV]["is_unlocked"]
    resp = await client.post(f"/api/classes/{c['class_id']}/tracks/{MULT}/unlock", headers=c["auth"])
    assert set((await resp.json())["unlocked_now"]) == {str(c["ada"]), str(c["bo"])}
    listed = await (await client.get(f"/api/classes/{c['class_id']}/settings", headers=c["auth"])).json()
    assert len(listed["students"]) == 2


async def test_today_and_the_summary_say_what_practice_did(classroom):
    c = classroom
    client, clock = c["client"], c["clock"]
    student = await Student.sign_in(client, c["keys"][c["ada"]])
    today = await student.call("GET", f"/api/users/{c['ada']}/today")
    assert today["streak"]["current"] == 0 and today["due_reviews"] == 0 and today["level"] == 1
    session = (await student.start(ADD10))["session_id"]
    served = []
    for i in range(4):
        question = (await student.next(session))["question"]
        served.append(question["question_id"])
        await student.answer(session, question, correct=i != 2, ms=1500)
        clock.advance(seconds=6)
    summary = await student.call("POST", f"/api/practice/sessions/{session}/finish")
    missed = served[2]
    right = {q for i, q in enumerate(served) if i != 2 and q != missed}
    assert summary["facts_improved"] == len(right)
    assert summary["experience_gained"] == 3 * 15 + 2 + 25 * len(right)
    assert summary["experience_points"] == summary["experience_gained"] and summary["level"] == 1
    assert summary["next_level_at"] == 500
    # Every fact answered has its next review; the missed one (and any first-time right
    # answer) comes back tomorrow.
    assert sum(r["facts"] for r in summary["next_reviews"]) == len(set(served))
    assert summary["next_reviews"][0]["date"] == "2026-03-11"
    clock.advance(days=1)
    today = await student.call("GET", f"/api/users/{c['ada']}/today")
    assert today["streak"] == {"current": 1, "longest": 1, "practised_today": False}
    assert today["due_reviews"] >= 1 and today["due_by_track"][str(ADD10)] == today["due_reviews"]
