"""The teacher's practice controls in Chromium: unlocking a locked track for a student (a
learning event; the student's /practice opens it), and more time for one student, which
their live game's countdown (its ring and its seconds) shows while their classmate keeps the
class's time."""

from __future__ import annotations

import re

from playwright.async_api import expect
from sqlalchemy import text

from learning.catalog import track_id
from persistence.curriculum.seed import seed_curriculum
from tests.web.conftest import PROJECTOR
from tests.web.game_driver import add_class, create_room, join_with_key, sign_up_teacher
from tests.web.test_play_countdown import SAMPLE

MULTIPLICATION = track_id("multiplication-12")


async def open_controls(page, name: str):
    await page.click(f"#roster-body button[aria-label='Practice settings for {name}']")
    dialog = page.locator("#controls-dialog")
    await expect(dialog).to_be_visible()
    await expect(page.locator("#ctl-time option")).to_have_count(4)
    return dialog


async def test_a_teacher_unlocks_a_track_and_the_student_can_practise_it(open_tab, db):
    await seed_curriculum(db)
    teacher = await open_tab("/teacher", viewport=PROJECTOR)
    await sign_up_teacher(teacher.page)
    [key] = await add_class(teacher.page, "Class 3B", ["Ada"])
    dialog = await open_controls(teacher.page, "Ada")
    await teacher.page.select_option("#ctl-unlock-track", str(MULTIPLICATION))
    await teacher.page.click("#ctl-unlock")
    await expect(teacher.page.locator("#controls-status")).to_have_text(
        "Multiplication to 12 × 12 is open for Ada.")
    await expect(dialog.locator(f"#ctl-unlock-track option[value='{MULTIPLICATION}']")).to_have_count(0)
    async with db.engine.connect() as conn:
        event = await conn.scalar(text(
            "SELECT e.payload FROM learning_events e JOIN class_students s ON s.user_id = e.user_id "
            "WHERE s.student_key = :k AND e.type = 'track_unlocked'"), {"k": key})
    assert event["track_id"] == str(MULTIPLICATION) and event["reason"] == "teacher"
    await teacher.page.click("#controls-close")
    teacher.assert_clean()

    student = await open_tab("/practice")
    await student.page.fill("#student-key", key)
    await student.page.keyboard.press("Enter")
    track = student.page.locator(f"li.track[data-track-id='{MULTIPLICATION}']")
    await expect(track.locator(".track-status")).to_have_text("Not started yet")
    await track.locator("button", has_text="Start").click()
    await expect(student.page.locator("#prompt")).to_have_text(re.compile(r"^\d+ × \d+ = \?$"))
    student.assert_clean()


async def test_double_time_for_one_student_shows_on_their_live_countdown(open_tab, db):
    teacher = await open_tab("/teacher", viewport=PROJECTOR)
    await sign_up_teacher(teacher.page)
    keys = await add_class(teacher.page, "Class 3B", ["Ada", "Ben"])
    await open_controls(teacher.page, "Ben")
    await teacher.page.select_option("#ctl-time", "2")
    await teacher.page.check("#ctl-accuracy")
    await teacher.page.click("#controls-form button[type=submit]")
    await expect(teacher.page.locator("#controls-status")).to_have_text("Saved for Ben.")
    await teacher.page.click("#controls-close")
    # Reopened, the dialog shows what is stored.
    await open_controls(teacher.page, "Ben")
    await expect(teacher.page.locator("#ctl-time")).to_have_value("2")
    await expect(teacher.page.locator("#ctl-accuracy")).to_be_checked()
    await teacher.page.click("#controls-close")

    room = await create_room(teacher.page, questions=1, seconds=20)
    students = {}
    for name, key in zip(("Ada", "Ben"), keys, strict=True):
        tab = await open_tab(None)
        await join_with_key(tab.page, room["code"], key)
        students[name] = tab
    await teacher.page.goto(room["host_url"])
    await expect(teacher.page.locator("#players li")).to_have_count(2)
    await teacher.page.click("#btn-start")
    for tab in students.values():
        await tab.page.wait_for_selector("[data-view=question]", state="visible")
    # Ada has the class's 20 s; Ben his own 40 s on the same question.
    ada = int((await students["Ada"].page.text_content("#timer-seconds")).rstrip("s"))
    await expect(students["Ben"].page.locator("#timer-seconds")).to_have_text(re.compile(r"^(3[5-9]|40)s$"))
    assert 15 <= ada <= 20
    prompts = {await tab.page.text_content("#prompt") for tab in students.values()}
    assert len(prompts) == 1  # the same question
    # Each ring runs down to its own student's deadline: Ben's over 40 s, at half Ada's pace.
    pace = {}
    for name, total in (("Ada", 20), ("Ben", 40)):
        samples = await students[name].page.evaluate(SAMPLE, ["#timer-ring", "#timer-seconds", 1500])
        for s in samples:
            assert s["seconds"] - 1 <= s["left"] * total <= s["seconds"] + 0.01, (name, s)
        pace[name] = (samples[0]["left"] - samples[-1]["left"]) / (samples[-1]["at"] - samples[0]["at"])
    assert 0.35 <= pace["Ben"] / pace["Ada"] <= 0.65, pace
    for tab in students.values():
        tab.assert_clean()
    teacher.assert_clean()
