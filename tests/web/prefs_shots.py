"""The display preferences' screenshots (take_screenshots calls `shoot_display_prefs`): /practice in
the dyslexia-friendly font (its home, a question with the number pad), a missed fact and a right
one in the colour-blind-safe palette (still in that font), and the student's grid in that
palette."""

from __future__ import annotations

from learning.catalog import track_id
from tests.web.game_driver import new_page, sign_up_teacher
from tests.web.practice_shots import _answer, _roster_key, _wait_progress

PREFS_SHOTS = {"prefs-dyslexia-home", "prefs-dyslexia-question", "prefs-palette-wrong",
               "prefs-palette-right", "prefs-palette-grid"}


async def shoot_display_prefs(browser, base: str, viewport: dict, shoot, give_progress) -> None:
    """`shoot(page, name)` writes one screenshot; `give_progress(keys)` gives the roster practice
    history on the multiplication track (take_screenshots.give_class_progress)."""
    teacher = await new_page(browser, base, {"width": 1280, "height": 900})
    await sign_up_teacher(teacher)
    key = await _roster_key(teacher, "Noor")
    await teacher.context.close()
    await give_progress([key])

    page = await new_page(browser, base, viewport)
    await page.goto("/practice")
    await page.fill("#student-key", key)
    await page.keyboard.press("Enter")
    await page.wait_for_selector("[data-view=home]", state="visible")
    await page.select_option("#pref-font", "dyslexia")
    await page.evaluate("document.fonts.ready")
    await shoot(page, "prefs-dyslexia-home")
    # The header's selectors step aside for a fact on a phone: both are chosen here.
    await page.select_option("#pref-palette", "colour_blind")
    await page.locator("li.track button", has_text="Start").first.click()
    await _wait_progress(page, "Fact 1 of 10")
    await page.keyboard.type("1")
    await shoot(page, "prefs-dyslexia-question")
    await page.keyboard.press("Backspace")

    await _answer(page, right=False)
    await page.wait_for_selector("#hint", state="visible")
    await shoot(page, "prefs-palette-wrong")
    await page.keyboard.press("Enter")
    await _wait_progress(page, "Fact 2 of 10")
    await _answer(page)
    await page.wait_for_selector("#feedback.good")
    await shoot(page, "prefs-palette-right")

    await page.goto(f"/grid?track_id={track_id('multiplication-12')}")
    await page.wait_for_selector("#grid td.lvl-mastered")
    await page.select_option("#pref-font", "standard")
    await page.locator("#grid").scroll_into_view_if_needed()
    await shoot(page, "prefs-palette-grid")
    await page.context.close()
