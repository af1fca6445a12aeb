"""The play page's answer input: the number pad, direct typing, Enter, and what is refused."""

from __future__ import annotations

from playwright.async_api import expect

from tests.web.conftest import PROJECTOR
from tests.web.game_driver import create_room, join_as_student, sign_up_teacher, solve, wait_for_question


async def test_number_pad_and_keyboard_edit_the_same_answer(open_tab):
    host = await open_tab("/teacher", viewport=PROJECTOR)
    await sign_up_teacher(host.page)
    room = await create_room(host.page, operation="-", low=1, high=9, questions=1, seconds=60)
    await host.page.goto(room["host_url"])
    await expect(host.page.locator("#phase")).to_have_text("lobby")
    student = await open_tab(None)
    page = student.page
    await join_as_student(page, room["code"], "Kim")
    await host.page.click("#btn-start")
    prompt = await wait_for_question(page, 0)
    answer = page.locator("#answer")

    # The answer field has the focus: typing goes straight in; letters are dropped.
    assert await page.evaluate("document.activeElement.id") == "answer"
    await page.keyboard.type("4x2")
    await expect(answer).to_have_value("42")
    # Tapping the pad keeps the focus in the field (the phone keyboard never opens).
    await page.click("#pad button[data-key='7']")
    await expect(answer).to_have_value("427")
    assert await page.evaluate("document.activeElement.id") == "answer"
    await page.click("#pad button[data-key='back']")
    await page.click("#pad button[data-key='-']")
    await expect(answer).to_have_value("-42")
    await page.click("#pad button[data-key='-']")
    await page.keyboard.press("Backspace")
    await page.keyboard.press("Backspace")
    await expect(answer).to_have_value("")
    # An empty answer is not sent.
    await page.keyboard.press("Enter")
    await expect(page.locator("#announcer")).to_have_text("Type a number first.")
    await expect(page.locator("[data-view=question]")).to_be_visible()
    # Pad buttons are big enough to hit on a phone.
    box = await page.locator("#pad button[data-key='5']").bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44

    value = solve(prompt)
    for ch in str(value):
        await page.click(f"#pad button[data-key='{ch}']" if ch != "-" else "#pad button[data-key='-']")
    await page.keyboard.press("Enter")
    await expect(page.locator("#feedback")).to_contain_text("Correct!")
    # The countdown and the feedback are announced to screen readers.
    assert await page.get_attribute("#feedback", "aria-live") == "assertive"
    assert await page.get_attribute("#announcer", "aria-live") == "polite"
    student.assert_clean()
