"""The practice pages' screenshots (take_screenshots calls `shoot_practice`): a new student's
home with the first-run card, a placement question, the placement result, a practised fact
missed with its strategy hint, the session summary, the home afterwards, and a grid cell's
detail with its review schedule."""

from __future__ import annotations

import re

from tests.web.game_driver import new_page, sign_up_teacher, solve

PRACTICE_SHOTS = {"practice-home-new", "practice-placement", "practice-placed", "practice-hint",
                  "practice-question", "practice-summary", "practice-home", "grid-detail",
                  "teacher-controls"}


async def _roster_key(page, name: str) -> str:
    await page.fill("#class-name", "Class 3B")
    await page.click("#class-form button[type=submit]")
    await page.wait_for_selector("#roster", state="visible")
    await page.fill("#student-names", name)
    await page.click("#students-form button[type=submit]")
    await page.locator("#roster-body tr").first.wait_for()
    return (await page.text_content("#roster-body td.key")).strip()


async def _answer(page, *, right: bool = True) -> str:
    prompt = (await page.text_content("#prompt")).strip()
    await page.keyboard.type(str(solve(prompt) + (0 if right else 1)))
    await page.keyboard.press("Enter")
    return prompt


async def _wait_progress(page, text: str) -> None:
    await page.locator("#q-progress", has_text=re.compile(f"^{re.escape(text)}$")).wait_for()
    await page.wait_for_selector("[data-view=question]", state="visible")


async def shoot_practice(browser, base: str, viewport: dict, shoot) -> None:
    """`shoot(page, name)` writes one screenshot."""
    teacher = await new_page(browser, base, {"width": 1280, "height": 900})
    await sign_up_teacher(teacher)
    key = await _roster_key(teacher, "Maya")
    page = await new_page(browser, base, viewport)
    await page.goto("/practice")
    await page.fill("#student-key", key)
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#first-run", state="visible")
    await shoot(page, "practice-home-new")

    await page.click("#first-run-start")
    await page.wait_for_selector("[data-view=placement]", state="visible")
    await page.keyboard.press("Enter")
    await _wait_progress(page, "Checking Addition within 10: 1 of 12")
    await page.keyboard.type("5")
    await shoot(page, "practice-placement")
    await page.keyboard.press("Backspace")
    for n in range(1, 13):
        await _wait_progress(page, f"Checking Addition within 10: {n} of 12")
        await _answer(page, right=n != 12)  # one slip in the last part: it stays to learn
    await page.wait_for_selector("[data-view=summary]", state="visible")
    await shoot(page, "practice-placed")

    await page.click("[data-view=summary] [data-action=home]")
    await page.wait_for_selector("[data-view=home]", state="visible")
    await page.locator("li.track button", has_text="Practise").first.click()
    await _wait_progress(page, "Fact 1 of 10")
    await _answer(page, right=False)
    await page.wait_for_selector("#hint", state="visible")
    await shoot(page, "practice-hint")
    await page.keyboard.press("Enter")
    for n in range(2, 11):
        await _wait_progress(page, f"Fact {n} of 10")
        if n == 4:
            await shoot(page, "practice-question")
        await _answer(page, right=n % 4 != 0)
        if n % 4 == 0:
            await page.wait_for_selector("#hint", state="visible")
            await page.keyboard.press("Enter")
    await page.wait_for_selector("[data-view=summary]", state="visible")
    await shoot(page, "practice-summary")
    await page.click("[data-view=summary] [data-action=home]")
    await page.wait_for_selector("[data-view=home]", state="visible")
    await shoot(page, "practice-home")

    await page.goto("/grid")
    await page.wait_for_selector("#grid td.lvl-learning, #grid td.lvl-accuracy")
    cell = page.locator("#grid td.lvl-learning, #grid td.lvl-accuracy").first
    await cell.click()
    await page.wait_for_selector("#cell-dialog[open]")
    await shoot(page, "grid-detail")
    await page.context.close()

    await teacher.set_viewport_size(viewport)
    await teacher.click("#roster-body button[aria-label='Practice settings for Maya']")
    await teacher.locator("#ctl-time option").nth(3).wait_for(state="attached")
    await teacher.select_option("#ctl-time", "1.5")
    await teacher.check("#ctl-accuracy")
    await teacher.click("#controls-form button[type=submit]")
    await teacher.locator("#controls-status", has_text="Saved for Maya.").wait_for()
    await shoot(teacher, "teacher-controls")
    await teacher.context.close()
