"""A personal round in Chromium: the teacher creates a game from a learning track with
personal rounds; two students see different facts on the same tick, each answers their own;
the projector and the host console show the round, never a fact."""

from __future__ import annotations

from playwright.async_api import expect
from sqlalchemy import text

from learning.catalog import track_id
from persistence.curriculum.seed import seed_curriculum
from tests.web.conftest import PROJECTOR
from tests.web.game_driver import (
    answer_by_keyboard,
    create_room,
    give_due_review,
    join_as_student,
    sign_up_teacher,
    solve,
    wait_for_question,
)

TRACK = track_id("multiplication-12")


async def test_two_students_answer_their_own_facts_in_one_personal_round(open_tab, db):
    await seed_curriculum(db)
    teacher = await open_tab("/teacher", viewport=PROJECTOR)
    await sign_up_teacher(teacher.page)
    # The option needs a track: it is off and disabled until one is chosen.
    await expect(teacher.page.locator("#room-personal")).to_be_disabled()
    room = await create_room(teacher.page, title="Our own facts", questions=1, seconds=30,
                             track_id=str(TRACK), personal=True)
    async with db.engine.connect() as conn:
        assert await conn.scalar(text("SELECT personal_rounds FROM rooms WHERE id = :r"),
                                 {"r": room["room_id"]})

    screen = await open_tab(room["screen_url"], viewport=PROJECTOR)
    await expect(screen.page.locator("#join-code")).to_have_text(room["code"])
    host = teacher
    await host.page.goto(room["host_url"])
    await expect(host.page.locator("#phase")).to_have_text("lobby")
    students = []
    for name in ("Ada", "Grace"):
        tab = await open_tab(None)
        await join_as_student(tab.page, room["code"], name)
        students.append(tab)
    await expect(host.page.locator("#players li")).to_have_count(2)
    due = await give_due_review(db, room["room_id"], "Grace", TRACK, 5)

    await host.page.click("#btn-start")
    prompts = [await wait_for_question(s.page, 0) for s in students]
    assert prompts[1] == due and prompts[0] != prompts[1]
    for student in students:
        await expect(student.page.locator("#personal-tag")).to_be_visible()
    await expect(screen.page.locator("#screen-prompt")).to_have_text("Everyone has their own fact")
    await expect(host.page.locator("#live-prompt")).to_contain_text("everyone has their own fact")

    for student, prompt in zip(students, prompts, strict=True):
        await answer_by_keyboard(student.page, solve(prompt))
        await expect(student.page.locator("#feedback")).to_contain_text("Correct!")
    await expect(screen.page.locator("#reveal-prompt")).to_have_text("Personal round")
    await expect(screen.page.locator("#reveal-stats")).to_contain_text("100% correct")
    await expect(host.page.locator("#last-result")).to_contain_text("personal round")
    await expect(students[1].page.locator("#reveal")).to_contain_text(due.replace("?", str(solve(due))))

    async with db.engine.connect() as conn:
        answered = (await conn.execute(text(
            "SELECT p.nickname, q.operand1, q.operand2 FROM answer_attempts a "
            "JOIN room_players p ON p.session_id = a.session_id JOIN questions q ON q.id = a.question_id "
            "WHERE p.room_id = :r ORDER BY p.nickname"), {"r": room["room_id"]})).all()
    assert [f"{a} × {b} = ?" for _, a, b in answered] == prompts
    for tab in (teacher, screen, *students):
        tab.assert_clean()
