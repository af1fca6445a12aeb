"""The acceptance scenario: a student takes a placement quiz, practises, sees due reviews
come back on the right days (fake clock), unlocks the next track, and sees the grid change.
Every answer goes through the real group-commit writer, PostgreSQL and Redis."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from learning.catalog import track_id
from persistence.curriculum.seed import seed_curriculum
from server import app_keys
from server.app import create_app
from server.settings import Settings
from tests.server.practice_client import Clock, Student, enrol
from tests.support.factories import make_user

ADD10, ADD20, SUB10 = track_id("addition-10"), track_id("addition-20"), track_id("subtraction-10")
DAY0 = dt.datetime(2026, 3, 9, 16, 0)


@pytest.fixture
async def app_client(aiohttp_client, clean_db, database_url, redis_url, redis_prefix, redis):
    await seed_curriculum(clean_db)
    clock = Clock(DAY0)
    app = create_app(Settings(database_url=database_url, redis_url=redis_url,
                              redis_prefix=redis_prefix, migrate_on_start=False, batch_window_ms=1))
    app[app_keys.CLOCK] = clock
    return await aiohttp_client(app), clock


def _levels(grid: dict) -> dict[str, str]:
    return {c["question_id"]: c["fluency_level"] for c in grid["cells"]}


async def _review_day(student: Student, clock: Clock, day: int, log: dict) -> list[str]:
    """On `day`, run a review session to its end, answering right; the facts it served."""
    clock.now = DAY0 + dt.timedelta(days=day)
    session = (await student.start(ADD10, mode="review"))["session_id"]
    served = []
    while (step := await student.next(session))["question"]:
        question = step["question"]
        assert question["reason"] == "due_review"
        served.append(question["question_id"])
        await student.answer(session, question, ms=1500)
        log.setdefault(question["question_id"], []).append(day)
        assert len(served) < 100
    await student.call("POST", f"/api/practice/sessions/{session}/finish")
    return served


async def test_placement_practice_reviews_unlock_and_grid(app_client, clean_db):
    client, clock = app_client
    user = await make_user(clean_db)
    _, _, keys = await enrol(clean_db, user)
    kid = await Student.sign_in(client, keys[user])

    tracks = await kid.tracks()
    assert tracks[ADD10]["is_unlocked"] and not tracks[ADD20]["is_unlocked"]
    await kid.start(ADD20, expect=403)
    grid_before = await kid.grid(ADD10, "+")
    assert set(_levels(grid_before).values()) == {"not_started"}

    # 1. Placement: the first two sections right and fast, one slip in section 3, and
    #    section 4 right but slow. Sections 1 and 2 are placed out; 3 and 4 stay open.
    placement = await kid.start(ADD10, mode="placement")
    assert placement["total_questions"] == 12
    session = placement["session_id"]
    answers: dict[str, list[int]] = {}  # question_id -> the days it was answered right
    for i in range(12):
        question = (await kid.next(session))["question"]
        correct, ms = (i != 7), (4000 if i >= 9 else 1200)
        result = await kid.answer(session, question, correct=correct, ms=ms)
        if correct:
            answers.setdefault(question["question_id"], []).append(0)
    assert result["placement"]["status"] == "completed"
    assert len(result["placement"]["placed_out_sections"]) == 2
    progress = await kid.progress(ADD10)
    assert [s["is_completed"] for s in progress["sections"]] == [True, True, False, False]
    assert [s["source"] for s in progress["sections"][:2]] == ["placement", "placement"]
    assert progress["current_section_id"] == progress["sections"][2]["id"]

    # 2. Practice on day 0 until the track is complete; every answer right and fast.
    session = (await kid.start(ADD10))["session_id"]
    reasons, last = [], None
    for _ in range(80):
        question = (await kid.next(session))["question"]
        assert question["question_id"] != last
        last = question["question_id"]
        reasons.append(question["reason"])
        await kid.answer(session, question, ms=1200)
        answers.setdefault(question["question_id"], []).append(0)
        if (await kid.progress(ADD10))["completed_date"]:
            break
    assert reasons[0] == "weakest"  # the placement slip comes back first
    assert "new" in reasons and "due_review" not in reasons  # nothing is due on day 0
    progress = await kid.progress(ADD10)
    assert progress["completed_date"] is not None
    assert all(s["is_completed"] for s in progress["sections"])
    assert progress["mastered_questions"] == sum(
        1 for level in _levels(await kid.grid(ADD10, "+")).values() if level == "mastered")

    # The track's time is exact: its section rows sum to every answer's time on its facts.
    async with clean_db.engine.connect() as conn:
        recorded, summed = (await conn.execute(text(
            "SELECT (SELECT sum(a.response_time) FROM answer_attempts a JOIN questions q "
            "        ON q.id = a.question_id WHERE a.user_id = :u AND q.track_id = :t), "
            "       (SELECT sum(total_response_time) FROM user_section_progress "
            "        WHERE user_id = :u AND track_id = :t)"), {"u": user, "t": ADD10})).one()
    assert recorded == summed > 0

    # 3. The next tracks are unlocked now, and the grid shows what was learnt.
    tracks = await kid.tracks()
    assert tracks[ADD20]["is_unlocked"] and tracks[SUB10]["is_unlocked"]
    assert not tracks[track_id("subtraction-20")]["is_unlocked"]
    await kid.start(ADD20)
    after = _levels(await kid.grid(ADD10, "+"))
    changed = [q for q, level in after.items() if level != "not_started"]
    assert len(changed) == len(answers) > 12
    summary = await kid.call("POST", f"/api/practice/sessions/{session}/finish")
    assert summary["questions_answered"] == len(reasons)

    # 4. Spaced repetition (SM-2 in the answer flow): a fact answered right once on day 0 is
    #    due on day 1; answered right again then, it is next due 6 days later, on day 7.
    once_on_day0 = {q for q, days in answers.items() if days == [0]}
    assert once_on_day0
    day1 = await _review_day(kid, clock, 1, answers)
    assert set(day1) == once_on_day0
    for day in range(2, 6):
        assert await _review_day(kid, clock, day, answers) == [], day
    # Facts answered right twice on day 0 (interval 1, then 6) come back on day 6.
    twice_on_day0 = {q for q, days in answers.items() if days[:2] == [0, 0] and len(days) == 2}
    day6 = await _review_day(kid, clock, 6, answers)
    assert set(day6) == twice_on_day0
    day7 = await _review_day(kid, clock, 7, answers)
    assert set(day7) == once_on_day0


async def test_a_placement_question_counts_its_first_answer_only(app_client, clean_db):
    client, _ = app_client
    user = await make_user(clean_db)
    _, _, keys = await enrol(clean_db, user)
    kid = await Student.sign_in(client, keys[user])
    session = (await kid.start(track_id("multiplication-12"), mode="placement"))["session_id"]
    question = (await kid.next(session))["question"]
    attempt = "6f1c1f0e-0000-4000-8000-000000000001"
    await kid.answer(session, question, correct=False, attempt_id=attempt)
    retry = await kid.answer(session, question, correct=False, attempt_id=attempt)
    assert retry["duplicate"] is True
    again = await kid.answer(session, question, correct=True, expect=409)
    assert again["error"]["code"] == "already_answered"
    assert (await kid.next(session))["question"]["question_id"] != question["question_id"]
