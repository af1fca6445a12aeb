"""The progress grid in Chromium against the real grid API: a student's own grid coloured by
fluency level, and their teacher's class view with the share of students at each level."""

from __future__ import annotations

import re

from playwright.async_api import expect
from sqlalchemy import text

from learning.catalog import track_id
from persistence.curriculum.seed import seed_curriculum
from tests.web.conftest import PROJECTOR
from tests.web.game_driver import sign_up_teacher

MULTIPLICATION = track_id("multiplication-12")

# (operand1, operand2, correct, total, average ms) → the seed's trigger makes the level.
PROGRESS = [
    (2, 3, 10, 10, 1500),   # mastered
    (7, 8, 3, 5, 7000),     # learning
    (6, 7, 9, 10, 4000),    # a level between: the trigger decides, the test reads it back
]


async def give_progress(db, user_id: str) -> dict[tuple[int, int], str]:
    levels = {}
    async with db.sessions() as session, session.begin():
        for a, b, correct, total, avg in PROGRESS:
            qid = await session.scalar(text(
                "SELECT id FROM questions WHERE track_id = :t AND operand1 = :a AND operand2 = :b "
                "AND operation = '×'"), {"t": MULTIPLICATION, "a": a, "b": b})
            levels[(a, b)] = await session.scalar(text(
                "INSERT INTO question_progress (question_id, user_id, total_attempts, correct_attempts, "
                "incorrect_attempts, average_response_time, last_response_time, last_attempt_date) "
                "VALUES (:q, :u, :n, :c, :wrong, :avg, :avg, now()) RETURNING fluency_level"),
                {"q": qid, "u": user_id, "n": total, "c": correct, "wrong": total - correct, "avg": avg})
    return levels


async def roster_with_one_student(page, name: str) -> tuple[str, str]:
    await page.fill("#class-name", "Class 4A")
    await page.click("#class-form button[type=submit]")
    await page.wait_for_selector("#roster", state="visible")
    await page.fill("#student-names", name)
    await page.click("#students-form button[type=submit]")
    await page.locator("#roster-body tr").first.wait_for()
    key = (await page.text_content("#roster-body td.key")).strip()
    class_href = await page.get_attribute("#class-grid", "href")
    return key, class_href


async def test_student_grid_and_class_grid_show_fluency_levels(open_tab, db):
    await seed_curriculum(db)
    teacher = await open_tab("/teacher", viewport=PROJECTOR)
    await sign_up_teacher(teacher.page)
    key, class_href = await roster_with_one_student(teacher.page, "Ada")
    async with db.engine.connect() as conn:
        user_id = str(await conn.scalar(text(
            "SELECT user_id FROM class_students WHERE student_key = :k"), {"k": key}))
    levels = await give_progress(db, user_id)
    assert levels[(2, 3)] == "mastered" and levels[(7, 8)] == "learning"

    # The student signs in with their key on a phone.
    student = await open_tab(f"/grid?track_id={MULTIPLICATION}")
    page = student.page
    await page.fill("#grid-key", key.lower())
    await page.keyboard.press("Enter")
    await expect(page.locator("#grid-title")).to_have_text("My progress, Ada")
    await expect(page.locator("#track")).to_have_value(str(MULTIPLICATION))
    grid = page.locator("#grid")
    await expect(grid.locator("tbody tr")).to_have_count(13)  # operands 0..12
    cell = grid.locator("td[aria-label^='2 × 3.']")
    await expect(cell).to_have_class("lvl-mastered")
    await expect(grid.locator("td[aria-label^='7 × 8.']")).to_have_class("lvl-learning")
    # Still the student's own title once the grid has loaded (a teacher's view names them).
    await expect(page.locator("#grid-title")).to_have_text("My progress, Ada")
    await expect(grid.locator(f"td.lvl-{levels[(6, 7)]}[aria-label^='6 × 7.']")).to_have_count(1)
    assert await grid.locator("td.lvl-not_started").count() == 13 * 13 - 3
    # Details on hover, and on focus for keyboard users (arrow keys move between facts).
    await cell.hover()
    await expect(page.locator("#cell-details")).to_contain_text("2 × 3")
    await expect(page.locator("#cell-details")).to_contain_text("Accuracy100%")
    await expect(page.locator("#cell-details")).to_contain_text("Last time1.5 s")
    await cell.focus()
    await page.keyboard.press("ArrowRight")
    focused = await page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused.startswith("2 × 4.")
    await expect(page.locator("#cell-details")).to_contain_text("Tries")
    await expect(page.locator("#legend li")).to_have_count(6)
    # Levels by symbol too, and a square opens its whole record with the review schedule.
    await expect(cell.locator(".cell-symbol")).to_have_text("★")
    box = await cell.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24
    await cell.focus()
    await page.keyboard.press("Enter")
    dialog = page.locator("#cell-dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text("Attempts10 (10 right)")
    await expect(dialog).to_contain_text("Average time1.5 s")
    await expect(dialog).to_contain_text("Next review")
    await expect(dialog).to_contain_text("Ease")
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(cell).to_be_focused()
    student.assert_clean()

    # The teacher's class view: each fact is split by the share of students at each level.
    await teacher.page.goto(class_href + f"&track_id={MULTIPLICATION}")
    await expect(teacher.page.locator("#grid-title")).to_have_text("Class progress: Class 4A")
    share = teacher.page.locator("td[aria-label^='2 × 3.']")
    await expect(share).to_have_attribute(
        "aria-label", re.compile(r"^2 × 3\. Mastered: 100%, Tried by: 1 student, Right: 100%"))
    await expect(share.locator(".share-bar .lvl-mastered")).to_have_count(1)
    await expect(teacher.page.locator("td[aria-label^='3 × 3.']")).to_have_attribute(
        "aria-label", "3 × 3. Not started: 100%")
    # The facts the class finds hard (under 80% right), and a personal-rounds game on them.
    hard = teacher.page.locator("#hard-facts li")
    await expect(hard).to_have_count(1)
    await expect(hard).to_have_text("7 × 8 60% right, 1 student tried")
    await expect(teacher.page.locator("td.hard[aria-label^='7 × 8.']")).to_have_attribute(
        "aria-label", re.compile("Hard for the class$"))
    await teacher.page.click("#hard-game")
    await teacher.page.wait_for_url("**/host/*")
    room_id = teacher.page.url.rsplit("/", 1)[1]
    async with db.engine.connect() as conn:
        room = (await conn.execute(text(
            "SELECT personal_rounds, track_id, operation FROM rooms WHERE id = :r"), {"r": room_id})).one()
    assert room == (True, MULTIPLICATION, "×")
    await expect(teacher.page.locator("#phase")).to_have_text("lobby")
    teacher.assert_clean()


async def test_a_teachers_grid_of_one_student_is_titled_with_their_name(open_tab, db):
    await seed_curriculum(db)
    teacher = await open_tab("/teacher", viewport=PROJECTOR)
    await sign_up_teacher(teacher.page)
    await roster_with_one_student(teacher.page, "Grace")
    await teacher.page.click("#roster-body a:text('Grid')")
    await teacher.page.wait_for_url("**/grid?user_id=*")
    await expect(teacher.page.locator("#grid-title")).to_have_text("Progress: Grace")
    teacher.assert_clean()
