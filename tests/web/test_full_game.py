"""A whole live game in Chromium: a teacher hosting, a projector following, three students on
phone-sized screens, each in their own browser context, through the real server."""

from __future__ import annotations

from playwright.async_api import expect

from tests.web.conftest import PROJECTOR
from tests.web.game_driver import (
    answer_by_keyboard,
    answer_by_pad,
    create_room,
    join_as_student,
    sign_up_teacher,
    solve,
    wait_for_question,
)

QUESTIONS = 3


async def test_teacher_projector_and_three_students_play_a_whole_game(open_tab, live_server):
    teacher = await open_tab("/teacher", viewport=PROJECTOR)
    await sign_up_teacher(teacher.page)
    room = await create_room(teacher.page, low=2, high=5, questions=QUESTIONS, seconds=30)

    assert room["screen_url"].startswith(f"{live_server}/screen?")
    screen = await open_tab(room["screen_url"], viewport=PROJECTOR)
    await expect(screen.page.locator("#join-code")).to_have_text(room["code"])
    assert await screen.page.locator("#qr").evaluate("img => img.complete && img.naturalWidth > 0")

    host = teacher
    await host.page.goto(room["host_url"])
    await expect(host.page.locator("#phase")).to_have_text("lobby")

    names = ["Ada", "Grace", "Alan"]
    students = []
    websockets: list[str] = []
    for name in names:
        tab = await open_tab(None)
        tab.page.on("websocket", lambda ws: websockets.append(ws.url))
        await join_as_student(tab.page, room["code"], name)
        students.append(tab)
    # The strict CSP (connect-src 'self') lets the websocket transport through: no polling.
    assert len(websockets) == 3 and all("transport=websocket" in url for url in websockets)
    await expect(screen.page.locator("#names li")).to_have_count(3)
    await expect(screen.page.locator("#lobby-count")).to_have_text("3")
    await expect(host.page.locator("#players li")).to_have_count(3)

    await host.page.click("#btn-start")
    expected_scores = [0, 0, 0]
    for index in range(QUESTIONS):
        prompts = [await wait_for_question(s.page, index) for s in students]
        assert len(set(prompts)) == 1
        answer = solve(prompts[0])
        await expect(screen.page.locator("#screen-prompt")).to_have_text(prompts[0].replace(" = ?", ""))
        if index == 0:  # before anyone answers, the projector counts the class, not "0 / 0"
            await expect(screen.page.locator("#q-players")).to_have_text("3")
        # Ada types on a keyboard, Grace taps the number pad, Alan gets it wrong.
        await answer_by_keyboard(students[0].page, answer)
        await expect(students[0].page.locator("#feedback")).to_contain_text("Correct!")
        await expect(host.page.locator("#answered")).to_have_text("1")
        await answer_by_pad(students[1].page, answer)
        await answer_by_keyboard(students[2].page, answer + 1)
        # Everyone answered: the question closes by itself and the leaderboard follows.
        for s in students:
            await s.page.wait_for_selector("[data-view=leaderboard]", state="visible")
        await expect(screen.page.locator("#reveal-prompt")).to_contain_text(f"= {answer}")
        await expect(screen.page.locator("#reveal-stats")).to_contain_text("67% correct")
        await expect(host.page.locator("#results tr").nth(index)).to_contain_text("67%")
        fact = prompts[0].replace(" = ?", "")
        await expect(screen.page.locator(f"#heatmap .hm-tile.played[aria-label='{fact}: 67% correct']"))\
            .to_be_visible()
        for i, s in enumerate(students):
            expected_scores[i] = int(await s.page.text_content("#score"))
        assert expected_scores[0] > 0 and expected_scores[1] > 0 and expected_scores[2] == 0
        assert await students[2].page.text_content("#streak") == "0"
        if index == 0:
            # The teacher's console survives a reload: same phase, the results so far.
            await host.page.reload()
            await expect(host.page.locator("#phase")).to_have_text("reveal")
            await expect(host.page.locator("#results tr").first).to_contain_text("67%")
        await host.page.click("#btn-next")

    for s in students:
        await s.page.wait_for_selector("[data-view=over]", state="visible")
    # Alan scored nothing: the podium is Ada's and Grace's.
    await expect(screen.page.locator("#screen-podium li")).to_have_count(2)
    await expect(host.page.locator("#phase")).to_have_text("finished")
    winner = names[0] if expected_scores[0] >= expected_scores[1] else names[1]
    await expect(screen.page.locator("#screen-podium li.p1")).to_contain_text(winner)
    await expect(students[2].page.locator("#final-line")).to_contain_text("0 of 3 right")
    await expect(students[0].page.locator("#final-line")).to_contain_text("3 of 3 right")

    # The report shows what was played; the CSV downloads.
    await host.page.click("#open-report")
    await expect(host.page.locator("#students-table tbody tr")).to_have_count(3)
    await expect(host.page.locator("#questions-table tbody tr")).to_have_count(QUESTIONS)
    async with host.page.expect_download() as download_info:
        await host.page.click("#download-csv")
    download = await download_info.value
    assert download.suggested_filename.endswith(".csv")

    for tab in [host, screen, *students]:
        tab.assert_clean()
