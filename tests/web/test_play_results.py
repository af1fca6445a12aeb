"""What a student reads about their own game, in Chromium: the number of players when they
join last, "Time's up" when they did not answer, their result after a reload, their count of
right answers at the end, and a podium of players who scored."""

from __future__ import annotations

from playwright.async_api import expect

from tests.web.conftest import PROJECTOR
from tests.web.game_driver import (
    answer_by_keyboard,
    create_room,
    join_as_student,
    sign_up_teacher,
    solve,
    wait_for_question,
)

# A Socket.IO event packet in msgpack starts its data with [name, payload]: a two-element
# array (0x92), then the name as a short string (0xa5 + 5 bytes).
LOBBY_EVENT = b"\x92\xa5lobby"


async def host_a_room(open_tab, *, questions: int, seconds: int):
    host = await open_tab("/teacher", viewport=PROJECTOR)
    await sign_up_teacher(host.page)
    room = await create_room(host.page, low=2, high=6, questions=questions, seconds=seconds)
    await host.page.goto(room["host_url"])
    await expect(host.page.locator("#phase")).to_have_text("lobby")
    return host, room


async def without_lobby_broadcasts(page) -> None:
    """The page's Socket.IO connection, with every `lobby` event the server sends dropped:
    the page must learn the count from its own `joined` and `state`."""
    async def route(ws):
        server = ws.connect_to_server()
        server.on_message(lambda message: None if isinstance(message, bytes) and LOBBY_EVENT in message
                          else ws.send(message))
    await page.route_web_socket("**/socket.io/**", route)


async def test_the_last_student_to_join_sees_how_many_are_playing(open_tab):
    """The lobby broadcast of a join can reach the room before the joiner's connection is in
    it; with no broadcast at all the page still shows the right count."""
    host, room = await host_a_room(open_tab, questions=1, seconds=30)
    first = await open_tab(None)
    await join_as_student(first.page, room["code"], "Ada")
    last = await open_tab(None)
    await without_lobby_broadcasts(last.page)
    await join_as_student(last.page, room["code"], "Bo")
    await expect(last.page.locator("[data-view=lobby]")).to_contain_text("2 players in the game")
    await expect(first.page.locator("[data-view=lobby]")).to_contain_text("2 players in the game")
    for tab in (host, first, last):
        tab.assert_clean()


async def test_a_student_who_did_not_answer_reads_times_up_before_the_leaderboard(open_tab):
    host, room = await host_a_room(open_tab, questions=2, seconds=3)
    ada, bo = await open_tab(None), await open_tab(None)
    await join_as_student(ada.page, room["code"], "Ada")
    await join_as_student(bo.page, room["code"], "Bo")
    await host.page.click("#btn-start")
    prompt = await wait_for_question(ada.page, 0)
    await answer_by_keyboard(ada.page, solve(prompt))
    await wait_for_question(bo.page, 0)  # Bo lets the time run out
    feedback = bo.page.locator("#feedback")
    await expect(feedback).to_contain_text("Time's up", timeout=5_000)
    # The leaderboard came right behind the close: the result stays up to be read...
    await bo.page.wait_for_timeout(1_000)
    await expect(feedback).to_be_visible()
    await expect(bo.page.locator("#feedback .mark-late")).to_be_visible()
    # ...and the leaderboard keeps it at its head.
    await bo.page.wait_for_selector("[data-view=leaderboard]", state="visible")
    await expect(bo.page.locator("#reveal")).to_contain_text("Time's up")
    await expect(bo.page.locator("#reveal")).to_contain_text(f"= {solve(prompt)}")
    await expect(ada.page.locator("#reveal")).to_contain_text("Correct!")
    for tab in (host, ada, bo):
        tab.assert_clean()


async def test_a_reload_keeps_the_students_result(open_tab):
    host, room = await host_a_room(open_tab, questions=2, seconds=60)
    ada, bo, cy = await open_tab(None), await open_tab(None), await open_tab(None)
    for tab, name in ((ada, "Ada"), (bo, "Bo"), (cy, "Cy")):
        await join_as_student(tab.page, room["code"], name)
    await host.page.click("#btn-start")
    prompt = await wait_for_question(ada.page, 0)
    await answer_by_keyboard(ada.page, solve(prompt))
    await wait_for_question(bo.page, 0)
    await answer_by_keyboard(bo.page, solve(prompt) + 1)
    await expect(bo.page.locator("#feedback")).to_contain_text("Not quite")

    # Cy has not answered: the question is open while both reload.
    for tab in (ada, bo):
        await tab.page.reload()
    await expect(ada.page.locator("#feedback")).to_contain_text("Correct!")
    await expect(ada.page.locator("#feedback .mark-good")).to_be_visible()
    await expect(bo.page.locator("#feedback")).to_contain_text("Not quite")
    await expect(bo.page.locator("#feedback")).to_contain_text(f"= {solve(prompt)}")

    await host.page.click("#btn-close")
    await ada.page.wait_for_selector("[data-view=leaderboard]", state="visible")
    await ada.page.reload()  # between questions
    await ada.page.wait_for_selector("[data-view=leaderboard]", state="visible")
    await expect(ada.page.locator("#reveal")).to_contain_text("Correct!")
    await expect(ada.page.locator("#leaders li")).to_have_count(3)
    for tab in (host, ada, bo, cy):
        tab.assert_clean()


async def test_game_over_counts_the_questions_asked_and_the_podium_has_only_scorers(open_tab):
    host, room = await host_a_room(open_tab, questions=2, seconds=60)
    screen = await open_tab(room["screen_url"], viewport=PROJECTOR)
    ada, bo, cy = await open_tab(None), await open_tab(None), await open_tab(None)
    for tab, name in ((ada, "Ada"), (bo, "Bo"), (cy, "Cy")):
        await join_as_student(tab.page, room["code"], name)
    await host.page.click("#btn-start")
    for index in range(2):
        prompt = await wait_for_question(ada.page, index)
        await answer_by_keyboard(ada.page, solve(prompt))
        await expect(ada.page.locator("#feedback")).to_contain_text("Correct!")
        await host.page.click("#btn-close")  # Bo and Cy never answer
        await expect(host.page.locator("#phase")).to_have_text("reveal")
        await host.page.click("#btn-next")
    await bo.page.wait_for_selector("[data-view=over]", state="visible")
    await expect(bo.page.locator("#final-line")).to_contain_text("0 of 2 right")
    await expect(ada.page.locator("#final-line")).to_contain_text("2 of 2 right")
    # Bo and Cy share second place; only Ada, who scored, stands on the podium.
    await expect(screen.page.locator("#screen-podium li")).to_have_count(1)
    await expect(screen.page.locator("#screen-podium li.p1")).to_contain_text("Ada")
    await expect(bo.page.locator("#final-line")).to_contain_text("#2")
    await expect(cy.page.locator("#final-line")).to_contain_text("#2")
    for tab in (host, screen, ada, bo, cy):
        tab.assert_clean()


async def test_extra_large_text_fits_a_320_pixel_phone_through_a_game(open_tab):
    host, room = await host_a_room(open_tab, questions=1, seconds=60)
    tab = await open_tab(None, viewport={"width": 320, "height": 640})
    prefs = '{"font_size": "x-large", "color_scheme": "default"}'
    await tab.page.add_init_script(f"localStorage.setItem('mathrally.prefs', '{prefs}')")
    await join_as_student(tab.page, room["code"], "Katherine Johnson")

    async def fits(view: str) -> None:
        await tab.page.wait_for_selector(f"[data-view={view}]", state="visible")
        overflow = await tab.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{view}: {overflow}px too wide"

    await fits("lobby")
    assert "size-x-large" in await tab.page.evaluate("document.documentElement.className")
    await host.page.click("#btn-start")
    prompt = await wait_for_question(tab.page, 0)
    await fits("question")
    # The countdown ring: whole on the screen, big enough to read, its seconds inside it.
    ring = await tab.page.locator("#play-timer").bounding_box()
    seconds = await tab.page.locator("#timer-seconds").bounding_box()
    assert ring["x"] >= 0 and ring["x"] + ring["width"] <= 320 and ring["width"] >= 64, ring
    assert ring["x"] < seconds["x"] and seconds["x"] + seconds["width"] < ring["x"] + ring["width"], seconds
    size = await tab.page.locator("#timer-seconds").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 20, size
    await answer_by_keyboard(tab.page, solve(prompt))
    await fits("answered")
    await fits("leaderboard")
    await host.page.click("#btn-next")
    await fits("over")
    tab.assert_clean()


async def test_extra_large_text_on_a_320_pixel_phone_keeps_the_team_names(open_tab):
    """The final team board on a narrow phone with Extra large text: each team's name is
    shown whole (this question's gain gives way), not squeezed to nothing by the numbers."""
    host = await open_tab("/teacher", viewport=PROJECTOR)
    await sign_up_teacher(host.page)
    room = await create_room(host.page, low=2, high=6, questions=1, seconds=60, teams=2)
    await host.page.goto(room["host_url"])
    other = await open_tab(None)
    await join_as_student(other.page, room["code"], "Bo")
    tab = await open_tab(None, viewport={"width": 320, "height": 640})
    prefs = '{"font_size": "x-large", "color_scheme": "default"}'
    await tab.page.add_init_script(f"localStorage.setItem('mathrally.prefs', '{prefs}')")
    await join_as_student(tab.page, room["code"], "Katherine Johnson")
    await host.page.click("#btn-start")
    prompt = await wait_for_question(tab.page, 0)
    for page in (tab.page, other.page):
        await answer_by_keyboard(page, solve(prompt))
    await tab.page.wait_for_selector("[data-view=leaderboard]", state="visible")
    await host.page.click("#btn-next")
    await tab.page.wait_for_selector("#final-teams li", state="visible")
    names = await tab.page.eval_on_selector_all("#final-teams .name", """es => es.map(e => ({
        text: e.textContent, width: e.getBoundingClientRect().width,
        clipped: e.scrollWidth > e.clientWidth}))""")
    assert len(names) == 2
    for name in names:
        assert not name["clipped"] and name["width"] >= 60, name
    overflow = await tab.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    for t in (host, other, tab):
        t.assert_clean()
