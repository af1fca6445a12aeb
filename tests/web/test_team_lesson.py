"""A whole lesson in team mode, in Chromium: a teacher signs up, makes a class and a team game
for it, four rostered students join on phones with their keys, the teacher moves one of them,
every question is answered; the projector (1920×1080) shows the team board and a team podium
readable from the back of a room, each phone its team, rank and own contribution; afterwards
the class's boards show the lesson on the dashboard and on the next game's projector."""

from __future__ import annotations

from playwright.async_api import expect

from tests.web.conftest import PROJECTOR
from tests.web.game_driver import (
    add_class,
    answer_by_keyboard,
    create_room,
    join_with_key,
    sign_up_teacher,
    solve,
    wait_for_question,
)

QUESTIONS = 3
STUDENTS = ["Ada", "Grace", "Alan", "Katherine"]
# Projector text sizes (px at 1920×1080) readable from the back of a classroom.
READABLE_PX = {"#screen-prompt": 200, "#screen-seconds": 70, ".q-top": 40,
               "#screen-teams li": 40, "#screen-leaders li, #side-leaders li": 36}


async def font_px(page, selector: str) -> float:
    return await page.locator(selector).first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")


async def test_a_team_lesson_from_sign_up_to_the_podium(open_tab):
    teacher = await open_tab("/teacher", viewport=PROJECTOR)
    await sign_up_teacher(teacher.page)
    keys = await add_class(teacher.page, "Class 4A", STUDENTS)
    room = await create_room(teacher.page, title="Team tables", low=2, high=6, questions=QUESTIONS,
                             seconds=30, teams=2, class_name="Class 4A")
    screen = await open_tab(room["screen_url"], viewport=PROJECTOR)
    await expect(screen.page.locator("#screen-title")).to_have_text("Team tables")
    host = await open_tab(None, viewport=PROJECTOR, storage_state=await teacher.page.context.storage_state())
    await host.page.goto(room["host_url"])
    await expect(host.page.locator("#phase")).to_have_text("lobby")

    students = []
    for key in keys:
        tab = await open_tab(None)
        await join_with_key(tab.page, room["code"], key)
        students.append(tab)
    # Balanced as they joined: Red, Blue, Red, Blue.
    await expect(screen.page.locator("#lobby-teams li")).to_have_text(["Red 2", "Blue 2"])
    for tab, team in zip(students, ["Red", "Blue", "Red", "Blue"], strict=True):
        await expect(tab.page.locator("#team-badge")).to_have_text(f"Team {team}")
    # The teacher moves Katherine to Red: her phone and the projector follow.
    await host.page.select_option("select[aria-label='Team of Katherine']", label="Red")
    await expect(students[3].page.locator("#team-badge")).to_have_text("Team Red")
    await expect(screen.page.locator("#lobby-teams li")).to_have_text(["Red 3", "Blue 1"])
    await host.page.select_option("select[aria-label='Team of Katherine']", label="Blue")
    await expect(screen.page.locator("#lobby-teams li")).to_have_text(["Red 2", "Blue 2"])
    await expect(students[3].page.locator("#team-badge")).to_have_text("Team Blue")

    # The podium's reveal order, recorded as it happens on the projector.
    await screen.page.evaluate("""() => {
        window.podiumSteps = [];
        document.querySelector('#screen-podium').addEventListener('podium-step',
            (e) => window.podiumSteps.push([e.detail, performance.now()]));
    }""")
    await host.page.click("#btn-start")
    for index in range(QUESTIONS):
        prompt = await wait_for_question(students[0].page, index)
        answer = solve(prompt)
        if index == 0:
            await expect(screen.page.locator("#q-players")).to_have_text("4")
            for selector in ("#screen-prompt", "#screen-seconds", ".q-top"):
                assert await font_px(screen.page, selector) >= READABLE_PX[selector], selector
            ring = screen.page.locator("#screen-ring")
            first = float(await ring.evaluate("e => e.style.strokeDashoffset || '0'"))
            await screen.page.wait_for_timeout(1200)
            assert float(await ring.evaluate("e => e.style.strokeDashoffset")) > first  # it runs down
        # Ada and Alan (Red) are right; Grace is right only at the first question; Katherine never.
        for i, tab in enumerate(students):
            await wait_for_question(tab.page, index)
            right = i in (0, 2) or (i == 1 and index == 0)
            await answer_by_keyboard(tab.page, answer if right else answer + 1)
        for tab in students:
            await tab.page.wait_for_selector("[data-view=leaderboard]", state="visible")
        await expect(screen.page.locator("#screen-teams li")).to_have_count(2)
        await expect(screen.page.locator("#screen-teams li").first).to_contain_text("Red")
        await expect(screen.page.locator("#reveal-states .state.good .state-count")).to_have_text(
            "3" if index == 0 else "2")
        await expect(screen.page.locator("#reveal-states .state.bad .state-count")).to_have_text(
            "1" if index == 0 else "2")
        await expect(students[0].page.locator("#team-line")).to_contain_text("Team Red is #1 of 2")
        await expect(students[0].page.locator("#team-line")).to_contain_text("Your answer added +")
        await expect(students[3].page.locator("#team-line")).to_contain_text("Team Blue is #2 of 2")
        await expect(students[3].page.locator("#team-line")).to_contain_text("Your answer added 0")
        await expect(host.page.locator("#host-teams li")).to_have_count(2)
        if index == 1:
            for selector in ("#screen-teams li",):
                assert await font_px(screen.page, selector) >= READABLE_PX[selector], selector
            assert await font_px(screen.page, "#side-leaders li") >= 36
        await host.page.click("#btn-next")

    for tab in students:
        await tab.page.wait_for_selector("[data-view=over]", state="visible")
    await expect(screen.page.locator("#over-title")).to_have_text("Team Red wins!")
    podium = screen.page.locator("#screen-podium li")
    await expect(podium).to_have_count(2)
    await expect(screen.page.locator("#screen-podium li.p1")).to_contain_text("Red")
    await expect(screen.page.locator("#screen-podium li.p2")).to_contain_text("Blue")
    await expect(screen.page.locator("#screen-podium li.shown")).to_have_count(2)
    steps = await screen.page.evaluate("window.podiumSteps")
    assert [s[0] for s in steps] == ["p2", "p1"]  # from the lowest place up to the winner
    assert steps[1][1] - steps[0][1] >= 1000
    assert await font_px(screen.page, "#screen-podium li.p1 .name") >= 48
    await expect(students[1].page.locator("#final-teams-title")).to_have_text("Teams: Blue came #2")
    await expect(students[1].page.locator("#final-teams li.me")).to_contain_text("Blue")
    await expect(host.page.locator("#phase")).to_have_text("finished")

    # The dashboard's class boards and the next game's projector show who scored this week.
    await teacher.page.goto("/teacher")
    await teacher.page.locator("#class-list button").first.click()
    for period in ("day", "week"):  # Katherine scored nothing: she is not on them
        rows = teacher.page.locator(f"#board-{period} li .name")
        await expect(rows).to_have_count(3)
        assert sorted(await rows.all_text_contents()) == ["Ada", "Alan", "Grace"]
    assert (await teacher.page.locator("#board-week li .name").nth(2).text_content()) == "Grace"
    next_room = await create_room(teacher.page, title="Tomorrow", questions=1, class_name="Class 4A")
    next_screen = await open_tab(next_room["screen_url"], viewport=PROJECTOR)
    await expect(next_screen.page.locator("#week-top")).to_be_visible()
    await expect(next_screen.page.locator("#week-leaders li")).to_have_count(3)  # Katherine: 0 points

    for tab in [teacher, host, screen, next_screen, *students]:
        tab.assert_clean()
