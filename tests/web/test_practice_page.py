"""/practice in Chromium, clicked and typed through as a new student would: their key, the
first-run placement check, a practice session with a miss (the strategy hint), a pause, the
summary, then their grid showing what they just practised."""

from __future__ import annotations

import re

from playwright.async_api import expect
from sqlalchemy import text

from learning.catalog import track_id
from persistence.curriculum.seed import seed_curriculum
from tests.web.conftest import PROJECTOR
from tests.web.game_driver import sign_up_teacher, solve
from tests.web.test_accessibility import X_LARGE
from tests.web.test_grid_page import roster_with_one_student

ADDITION_10 = track_id("addition-10")
ADDITION_20 = track_id("addition-20")
SUBTRACTION_10 = track_id("subtraction-10")


async def new_student(open_tab, name: str = "Ada") -> tuple[object, str, str]:
    """A teacher with a one-student class; returns (teacher tab, student key, user_id)."""
    teacher = await open_tab("/teacher", viewport=PROJECTOR)
    await sign_up_teacher(teacher.page)
    key, _ = await roster_with_one_student(teacher.page, name)
    return teacher, key, ""


async def answer_shown_fact(page, *, right: bool = True) -> str:
    """Types the answer to the fact on screen (wrong by one when `right` is false)."""
    prompt = (await page.text_content("#prompt")).strip()
    value = solve(prompt) + (0 if right else 1)
    await page.keyboard.type(str(value))
    await page.keyboard.press("Enter")
    return prompt


async def test_key_placement_practice_summary_and_grid(open_tab, db):
    await seed_curriculum(db)
    _, key, _ = await new_student(open_tab)
    tab = await open_tab("/practice")
    page = tab.page

    # The key, typed in lower case with a space, as a child might.
    await page.fill("#student-key", f"{key[:3].lower()} {key[3:].lower()}")
    await page.keyboard.press("Enter")
    await expect(page.locator("#hello")).to_have_text("Hi, Ada!")
    await expect(page.locator("#goal-ring")).to_contain_text("0/15")
    await expect(page.locator("#streak")).to_have_text("0 days")
    await expect(page.locator("#due")).to_have_text("0")
    # Locked tracks say why.
    locked = page.locator(f"li.track[data-track-id='{ADDITION_20}']")
    await expect(locked.locator(".track-status")).to_contain_text(
        "Locked: Complete every section of Addition within 10.")
    await expect(locked.locator("button", has_text="Practise")).to_have_count(0)

    # First run: the placement check, on the first track, all answered right and fast.
    await expect(page.locator("#first-run")).to_be_visible()
    await page.click("#first-run-start")
    await expect(page.locator(f"#pt-{ADDITION_10}")).to_be_checked()
    await page.keyboard.press("Enter")
    await expect(page.locator("#q-progress")).to_contain_text("Checking Addition within 10: 1 of")
    total = int(re.search(r"of (\d+)", await page.text_content("#q-progress")).group(1))
    for n in range(1, total + 1):
        await expect(page.locator("#q-progress")).to_have_text(f"Checking Addition within 10: {n} of {total}")
        await answer_shown_fact(page)
    await expect(page.locator("#summary-title")).to_have_text("Addition within 10: checked")
    await expect(page.locator("#summary")).to_contain_text("You already know 4 parts of Addition within 10")

    # "Start practising" starts where the student now stands: the check completed Addition
    # within 10, which opened Addition within 20 and Subtraction within 10 (first in order).
    await page.click("#again")
    await expect(page.locator("#q-progress")).to_have_text("Fact 1 of 10")
    first = await answer_shown_fact(page, right=False)
    await expect(page.locator("#feedback")).to_contain_text("Not quite")
    await expect(page.locator("#feedback")).to_contain_text(f"{first.replace(' = ?', '')} = {solve(first)}")
    await expect(page.locator("#hint")).to_be_visible()
    assert (await page.text_content("#hint-text")).strip()
    await page.keyboard.press("Enter")  # Next, from the keyboard
    await expect(page.locator("#q-progress")).to_have_text("Fact 2 of 10")

    # Pause and resume keep the fact on screen.
    prompt = await page.text_content("#prompt")
    await page.click("#pause")
    await expect(page.locator("#resume")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("[data-view=question]")).to_be_visible()
    await expect(page.locator("#prompt")).to_have_text(prompt)
    for n in range(2, 11):
        await expect(page.locator("#q-progress")).to_have_text(f"Fact {n} of 10")
        if n == 5:  # a reload comes back into the session, paused or not
            await page.reload()
            await expect(page.locator("#q-progress")).to_have_text("Fact 5 of 10")
            await page.click("#pause")
            await expect(page.locator("#resume")).to_be_focused()
            await page.reload()
            await expect(page.locator("#resume")).to_be_focused()
            await page.keyboard.press("Enter")
            await expect(page.locator("[data-view=question]")).to_be_visible()
            await expect(page.locator("#q-progress")).to_have_text("Fact 5 of 10")
        await answer_shown_fact(page)
    await expect(page.locator("#summary-title")).to_have_text("Well done!")
    summary = page.locator("#summary")
    await expect(summary).to_contain_text("Facts answered10 (9 right)")
    await expect(summary).to_contain_text("Next reviews")
    await expect(summary).to_contain_text("Tomorrow")

    async with db.engine.connect() as conn:
        user_id = await conn.scalar(text(
            "SELECT user_id FROM class_students WHERE student_key = :k"), {"k": key})
        stored = await conn.scalar(text(
            "SELECT count(*) FROM answer_attempts WHERE user_id = :u"), {"u": user_id})
    assert stored == total + 10

    # Their grid, already signed in: the missed fact is there, learning.
    await page.click("#summary-grid")
    await expect(page.locator("#grid-title")).to_contain_text("Ada")
    a, op, b = first.replace(" = ?", "").split()
    assert op in ("-", "−")
    await page.select_option("#track", str(SUBTRACTION_10))
    cell = page.locator(f"td[aria-label^='{a} - {b}.']")
    # Missed once, then asked again as the weakest fact between new ones.
    await expect(cell).to_have_attribute("aria-label", re.compile(r"Accuracy: \d+%.*Tries: [1-9]"))
    await expect(cell).not_to_have_class("lvl-not_started")
    tab.assert_clean()


async def test_extra_large_text_and_reduced_motion_on_a_320_pixel_phone(open_tab, db):
    await seed_curriculum(db)
    _, key, _ = await new_student(open_tab)
    tab = await open_tab(None, viewport={"width": 320, "height": 640}, reduced_motion="reduce")
    page = tab.page
    await page.add_init_script(f"localStorage.setItem('mathrally.prefs', '{X_LARGE}')")
    await page.goto("/practice")
    await page.fill("#student-key", key)
    await page.keyboard.press("Enter")
    await expect(page.locator("#hello")).to_have_text("Hi, Ada!")

    async def overflow() -> int:
        return await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")

    assert await overflow() <= 0, "the home is too wide"
    await page.locator(f"li.track[data-track-id='{ADDITION_10}'] button", has_text="Start").click()
    await expect(page.locator("#q-progress")).to_have_text("Fact 1 of 10")
    assert await overflow() <= 0, "a question is too wide"
    # Every pad key stays a comfortable target.
    for box in [await b.bounding_box() for b in await page.locator("#pad button").all()]:
        assert box["height"] >= 44 and box["width"] >= 44
    await answer_shown_fact(page, right=False)
    await expect(page.locator("#hint")).to_be_visible()
    assert await overflow() <= 0, "the hint is too wide"
    animation = await page.evaluate("getComputedStyle(document.querySelector('#feedback')).animationName")
    assert animation == "none"
    tab.assert_clean()
