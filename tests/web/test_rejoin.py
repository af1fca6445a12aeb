"""A student's game survives a refresh and a dropped connection: same player, same score,
and an answer sent while offline is counted exactly once."""

from __future__ import annotations

from playwright.async_api import expect
from sqlalchemy import text

from tests.web.conftest import PROJECTOR
from tests.web.game_driver import (
    answer_by_keyboard,
    create_room,
    join_as_student,
    sign_up_teacher,
    solve,
    wait_for_question,
)


async def start_game(open_tab, questions: int = 3):
    host = await open_tab("/teacher", viewport=PROJECTOR)
    await sign_up_teacher(host.page)
    room = await create_room(host.page, low=2, high=6, questions=questions, seconds=60)
    await host.page.goto(room["host_url"])
    await expect(host.page.locator("#phase")).to_have_text("lobby")
    return host, room


async def test_a_student_who_refreshes_mid_game_keeps_their_score(open_tab):
    host, room = await start_game(open_tab)
    ada, bob = await open_tab(None), await open_tab(None)
    await join_as_student(ada.page, room["code"], "Ada")
    await join_as_student(bob.page, room["code"], "Bob")
    await host.page.click("#btn-start")

    prompt = await wait_for_question(ada.page, 0)
    await answer_by_keyboard(ada.page, solve(prompt))
    await expect(ada.page.locator("#feedback")).to_contain_text("Correct!")
    score = int(await ada.page.text_content("#score"))
    assert score >= 500

    # Refresh while Bob has not answered yet: the question is still open.
    await ada.page.reload()
    await expect(ada.page.locator("#me-name")).to_have_text("Ada")
    await expect(ada.page.locator("#score")).to_have_text(str(score))
    await expect(ada.page.locator("#feedback")).to_contain_text("Correct!")  # her result, not just "saved"
    await expect(host.page.locator("#players li")).to_have_count(2)

    await answer_by_keyboard(bob.page, solve(await wait_for_question(bob.page, 0)))
    await ada.page.wait_for_selector("[data-view=leaderboard]", state="visible")
    await host.page.click("#btn-next")

    # Refresh right as the next question is open: it comes back with the time left.
    await wait_for_question(ada.page, 1)
    await ada.page.reload()
    prompt = await wait_for_question(ada.page, 1)
    await answer_by_keyboard(ada.page, solve(prompt))
    await expect(ada.page.locator("#feedback")).to_contain_text("Correct!")
    assert int(await ada.page.text_content("#score")) > score
    for tab in [host, ada, bob]:
        tab.assert_clean()


async def test_an_answer_sent_offline_is_retried_with_its_attempt_id_and_counted_once(open_tab, db):
    host, room = await start_game(open_tab, questions=1)
    ada, bob = await open_tab(None), await open_tab(None)
    await join_as_student(ada.page, room["code"], "Ada")
    await join_as_student(bob.page, room["code"], "Bob")
    await host.page.click("#btn-start")
    prompt = await wait_for_question(ada.page, 0)

    await ada.page.context.set_offline(True)
    await expect(ada.page.locator("#connection")).to_be_visible()
    await answer_by_keyboard(ada.page, solve(prompt))
    pending = await ada.page.evaluate("JSON.parse(sessionStorage.getItem('mathrally.pending'))")
    assert pending["index"] == 0 and len(pending["attempt_id"]) == 36
    await ada.page.context.set_offline(False)
    await expect(ada.page.locator("#feedback")).to_contain_text("Correct!")
    assert await ada.page.evaluate("sessionStorage.getItem('mathrally.pending')") is None

    async with db.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT a.attempt_id FROM answer_attempts a JOIN room_players p ON p.session_id = a.session_id "
            "JOIN rooms r ON r.id = p.room_id WHERE r.code = :code AND p.nickname = 'Ada'"),
            {"code": room["code"]})).all()
    assert [str(r.attempt_id) for r in rows] == [pending["attempt_id"]]


async def test_a_wrong_code_comes_back_to_the_join_page_with_the_reason(open_tab):
    tab = await open_tab("/join?code=000000")
    await tab.page.fill("#nickname", "Ada")
    await tab.page.keyboard.press("Enter")
    await tab.page.wait_for_url("**/join?code=000000&error=room_not_found")
    await expect(tab.page.locator("#join-notice")).to_have_text(
        "There is no game with that code. Check the code and try again.")
    assert await tab.page.evaluate("sessionStorage.getItem('mathrally.join')") is None


async def test_a_rostered_student_joins_with_their_key_and_a_kicked_one_is_told(open_tab):
    host = await open_tab("/teacher", viewport=PROJECTOR)
    await sign_up_teacher(host.page)
    await host.page.fill("#class-name", "Class 2C")
    await host.page.click("#class-form button[type=submit]")
    await host.page.fill("#student-names", "Ada Lovelace")
    await host.page.click("#students-form button[type=submit]")
    await host.page.locator("#roster-body tr").first.wait_for()
    key = (await host.page.text_content("#roster-body td.key")).strip()
    room = await create_room(host.page, questions=2, seconds=60)
    await host.page.goto(room["host_url"])
    await expect(host.page.locator("#phase")).to_have_text("lobby")

    ada = await open_tab(f"/join?code={room['code']}")
    await ada.page.click("#tab-key")
    await ada.page.fill("#student-key", key)
    await ada.page.keyboard.press("Enter")
    await ada.page.wait_for_selector("[data-view=lobby]", state="visible")
    await expect(ada.page.locator("#me-name")).to_have_text("Ada Lovelace")

    bob = await open_tab(None)
    await join_as_student(bob.page, room["code"], "Bob")
    await expect(host.page.locator("#players li")).to_have_count(2)
    host.page.once("dialog", lambda dialog: dialog.accept())
    await host.page.click("button[aria-label='Remove Bob']")
    await expect(bob.page.locator("#stopped-title")).to_have_text("Removed from the game")
    await expect(host.page.locator("#players li")).to_have_count(1)
    # Bob's refresh does not bring him back.
    await bob.page.reload()
    await bob.page.wait_for_url("**/join")
    ada.assert_clean()


async def test_digits_typed_before_a_dropped_connection_are_still_there_when_it_is_back(open_tab):
    """Coming back (a Wi-Fi blip, or the server re-sending the room's state after Redis came
    back) shows the same open question: what the student had typed stays in the box."""
    host, room = await start_game(open_tab, questions=1)
    ada, bob = await open_tab(None), await open_tab(None)
    await join_as_student(ada.page, room["code"], "Ada")
    await join_as_student(bob.page, room["code"], "Bob")
    await host.page.click("#btn-start")
    prompt = await wait_for_question(ada.page, 0)
    answer = str(solve(prompt))
    await ada.page.keyboard.type(answer[:-1] or answer)

    await ada.page.context.set_offline(True)
    await expect(ada.page.locator("#connection")).to_be_visible()
    await ada.page.context.set_offline(False)
    await expect(ada.page.locator("#connection")).to_be_hidden()
    await expect(ada.page.locator("#answer")).to_have_value(answer[:-1] or answer)
    await expect(ada.page.locator("#answer")).to_be_focused()
    if len(answer) > 1:
        await ada.page.keyboard.type(answer[-1])
    await ada.page.keyboard.press("Enter")
    await expect(ada.page.locator("#feedback")).to_contain_text("Correct!")
    for tab in [host, ada]:
        tab.assert_clean()
