"""Drives the pages the way people use them: a teacher in one browser context, the projector
in another, each student in their own. Shared by the browser tests and take_screenshots."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy import text

from server.app import create_app
from server.settings import Settings


@contextlib.asynccontextmanager
async def start_app(database_url: str, redis_url: str | None, redis_prefix: str) -> AsyncIterator[str]:
    """The whole app on 127.0.0.1 and a free port; yields its base URL."""
    settings = Settings(database_url=database_url, redis_url=redis_url, redis_prefix=redis_prefix,
                        migrate_on_start=False, host="127.0.0.1", port=0)
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


def unique_username(prefix: str = "teacher") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def new_page(browser, base: str, viewport: dict, errors: list[str] | None = None):
    context = await browser.new_context(viewport=viewport, base_url=base)
    page = await context.new_page()
    if errors is not None:
        page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: uncaught {exc}"))
    return page


async def sign_up_teacher(page, username: str | None = None, password: str = "correct horse 42") -> str:
    """Registers through /teacher (which signs in right after); returns the username."""
    username = username or unique_username()
    await page.goto("/teacher")
    await page.click("#tab-register")
    await page.fill("#reg-username", username)
    await page.fill("#reg-email", f"{username}@school.example")
    await page.fill("#reg-password", password)
    await page.click("#register-form button[type=submit]")
    await page.wait_for_selector("[data-view=signed-in]", state="visible")
    return username


async def create_room(page, *, title: str = "Times tables", operation: str = "×", low: int = 2,
                      high: int = 5, questions: int = 3, seconds: int = 20,
                      auto_advance_s: int | None = None, track_id: str | None = None,
                      personal: bool = False, teams: int | None = None,
                      class_name: str | None = None) -> dict:
    """Fills in the New game form; returns {room_id, code, screen_url, host_url}. With
    `track_id` the game asks that learning track's facts (`personal`: personal rounds);
    `teams` plays in that many teams; `class_name` is the class playing."""
    await page.fill("#room-title", title)
    await page.select_option("#room-operation", operation)
    if track_id is None:
        await page.fill("#room-min", str(low))
        await page.fill("#room-max", str(high))
    else:
        await page.check("input[name=source][value=track]")
        await page.locator(f"#room-track option[value='{track_id}']").wait_for(state="attached")
        await page.select_option("#room-track", track_id)
        if personal:
            await page.check("#room-personal")
    await page.fill("#room-count", str(questions))
    await page.fill("#room-time", str(seconds))
    if teams is not None:
        await page.select_option("#room-teams", str(teams))
    if class_name is not None:
        await page.locator("#room-class option", has_text=class_name).wait_for(state="attached")
        await page.select_option("#room-class", label=class_name)
    if auto_advance_s is not None:
        await page.check("#room-auto")
        await page.fill("#room-auto-seconds", str(auto_advance_s))
    await page.click("#room-form button[type=submit]")
    created = page.locator("#room-created")
    await created.wait_for(state="visible")
    code = (await created.locator(".big-code").text_content()).strip()
    host_url = await created.locator("a", has_text="Host").get_attribute("href")
    screen_url = await created.locator("a", has_text="Projector").get_attribute("href")
    room_id = re.search(r"/host/([0-9a-f-]+)", host_url).group(1)
    return {"room_id": room_id, "code": code, "screen_url": screen_url, "host_url": host_url}


def solve(prompt: str) -> int:
    """The answer to a prompt as the play page shows it: "7 × 8 = ?"."""
    a, op, b = prompt.replace("= ?", "").split()
    a, b = int(a), int(b)
    if op == "÷":  # only when it is the operation: "0 × 0" must not divide by zero
        return a // b
    return {"+": a + b, "-": a - b, "−": a - b, "×": a * b}[op]


async def join_as_student(page, code: str, nickname: str) -> None:
    await page.goto(f"/join?code={code}")
    await page.fill("#nickname", nickname)
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/play")
    await page.wait_for_selector("[data-view=lobby]", state="visible")


async def join_with_key(page, code: str, student_key: str) -> None:
    """Joins as a rostered student with the key from their card."""
    await page.goto(f"/join?code={code}")
    await page.click("#tab-key")
    await page.fill("#key-code", code)
    await page.fill("#student-key", student_key)
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/play")
    await page.wait_for_selector("[data-view=lobby]", state="visible")


async def add_class(page, name: str, students) -> list[str]:
    """Creates a class with its roster on /teacher; returns the students' keys in order."""
    await page.fill("#class-name", name)
    await page.click("#class-form button[type=submit]")
    await page.wait_for_selector("#roster", state="visible")
    await page.fill("#student-names", "\n".join(students))
    await page.click("#students-form button[type=submit]")
    await page.locator("#roster-body tr").nth(len(students) - 1).wait_for()
    keys = {}
    for row in await page.locator("#roster-body tr").all():
        cells = [c.strip() for c in await row.locator("td").all_text_contents()]
        keys[cells[0]] = cells[1]
    return [keys[n] for n in students]


async def wait_for_question(page, index: int) -> str:
    """Waits until the play page shows question `index` (0-based); returns its prompt."""
    await page.wait_for_selector("[data-view=question]", state="visible")
    progress = page.locator("#q-progress")
    await progress.filter(has_text=f"Question {index + 1} of").wait_for()
    return (await page.text_content("#prompt")).strip()


async def answer_by_keyboard(page, value: int | str) -> None:
    await page.keyboard.type(str(value))
    await page.keyboard.press("Enter")


async def answer_by_pad(page, value: int | str) -> None:
    for ch in str(value):
        await page.click(f"#pad button[data-key='{ch}']")
    await page.click("#submit")


async def give_due_review(db, room_id: str, nickname: str, track_id, position: int) -> str:
    """The `position`-th two-operand × fact of the track (in track order) becomes due for the
    player `nickname` of the room, so a personal round gives it to them; returns its prompt as
    the play page shows it."""
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    async with db.engine.begin() as conn:
        user_id = await conn.scalar(text(
            "SELECT user_id FROM room_players WHERE room_id = :r AND nickname = :n"),
            {"r": room_id, "n": nickname})
        fact = (await conn.execute(text(
            "SELECT id, operand1, operand2 FROM questions WHERE track_id = :t AND operation = '×' "
            "AND operand3 IS NULL ORDER BY sequence_number OFFSET :k LIMIT 1"),
            {"t": track_id, "k": position})).one()
        await conn.execute(text(
            "INSERT INTO question_progress (question_id, user_id, total_attempts, correct_attempts, "
            "incorrect_attempts, average_response_time, last_response_time, last_attempt_date, "
            "next_review_date) VALUES (:q, :u, 3, 3, 0, 1500, 1500, now(), :due)"),
            {"q": fact.id, "u": user_id, "due": yesterday})
    return f"{fact.operand1} × {fact.operand2} = ?"


class Game:
    """A scripted game for docs/screenshots: every page, every phase, one viewport size."""

    STUDENTS = ("Ada", "Grace", "Alan", "Katherine", "Edsger", "Barbara")

    def __init__(self, browser, base: str, viewport: dict, progress=None, personal=None) -> None:
        self.browser, self.base, self.viewport = browser, base, viewport
        self.progress = progress  # async (student keys) → None: gives the roster grid data
        # (track_id, async (room_id, nickname) → None giving that player a due review): for
        # the personal-round shots, on a server with learning tracks.
        self.personal = personal
        self.pages = []

    async def page(self):
        page = await new_page(self.browser, self.base, self.viewport)
        self.pages.append(page)
        return page

    async def close(self) -> None:
        for page in self.pages:
            await page.context.close()

    async def run_for_screenshots(self, shoot) -> None:
        teacher = await self.page()
        await teacher.goto("/")
        await shoot(teacher, "join")
        await teacher.goto("/join?code=123456&error=nickname_taken")
        await shoot(teacher, "join-refused")
        await teacher.goto("/teacher")
        await shoot(teacher, "teacher-sign-in")
        await sign_up_teacher(teacher)
        await teacher.fill("#class-name", "Class 3B")
        await teacher.click("#class-form button[type=submit]")
        await teacher.wait_for_selector("#roster", state="visible")
        await teacher.fill("#student-names", "\n".join(self.STUDENTS))
        await teacher.click("#students-form button[type=submit]")
        await teacher.locator("#roster-body tr").nth(len(self.STUDENTS) - 1).wait_for()
        room = await create_room(teacher, title="Times tables 2–5", low=2, high=5, questions=6, seconds=20)
        await teacher.evaluate("window.scrollTo(0, 0)")
        await shoot(teacher, "teacher-dashboard")
        await teacher.click("#print-cards")
        await teacher.locator(".key-card").nth(2).wait_for()
        await shoot(teacher, "key-cards")

        screen, host, students = await self.open_room(teacher, room, self.STUDENTS[:4])
        await screen.locator("#names li").nth(3).wait_for()
        await shoot(screen, "screen-lobby")
        await shoot(host, "host-lobby")
        await shoot(students[0], "play-lobby")

        await host.click("#btn-start")
        # Who gets what right: a spread, so the heat map and leaderboard have colour.
        skill = [1.0, 0.84, 0.6, 0.34]
        for index in range(6):
            prompt = await wait_for_question(students[0], index)
            answer = solve(prompt)
            if index == 1 and self.viewport["width"] < 600:
                # Before anyone answers: a reload of the last one to answer would close it.
                await self.shoot_narrow(students[3], shoot, answer)
            for i, page in enumerate(students):
                if i == 3 and index == 1:
                    await page.wait_for_timeout(4000)  # the countdown rings have run a little
                    await page.keyboard.type(str(answer)[:1])
                    await shoot(page, "play-question")
                    await page.keyboard.press("Backspace")
                right = ((index * 7 + i * 3) % 10) / 10 < skill[i]
                if i == 3 and index == 1:
                    await shoot(screen, "screen-question")
                    await shoot(host, "host-question")
                await answer_by_keyboard(page, answer if right else answer + 1)
                if i == 0 and index == 1:
                    await page.wait_for_selector("#feedback.good")
                    await shoot(page, "play-correct")
                if i == 3 and index == 2:
                    await page.wait_for_selector("[data-view=leaderboard]", state="visible")
            await students[-1].wait_for_selector("[data-view=leaderboard]", state="visible")
            if index == 0:  # one fact played: the heat map is one large tile
                await screen.wait_for_selector("[data-view=reveal]", state="visible")
                await screen.wait_for_timeout(800)  # the rows have slid to their places
                await shoot(screen, "screen-reveal-first")
            if index == 2:
                await screen.wait_for_selector("[data-view=reveal]", state="visible")
                await shoot(screen, "screen-reveal")
                await shoot(students[3], "play-leaderboard")
            if index < 5:
                await host.click("#btn-next")
        await host.click("#btn-next")
        for page in students:
            await page.wait_for_selector("[data-view=over]", state="visible")
        # The podium rises third, second, first: shoot it once the winner stands on it.
        await screen.wait_for_selector("#screen-podium li.p1.shown")
        await students[1].wait_for_selector("#podium li.p1.shown")
        await screen.wait_for_timeout(800)
        await shoot(screen, "screen-podium")
        await shoot(students[1], "play-game-over")
        await host.wait_for_selector("#phase:text('finished')")
        await shoot(host, "host-finished")
        await host.click("#open-report")
        await host.locator("#students-table tbody tr").nth(3).wait_for()
        await shoot(host, "report")

        await teacher.goto("/teacher")
        await teacher.locator("#class-list button").first.click()
        await teacher.locator("#roster-body tr").nth(len(self.STUDENTS) - 1).wait_for()
        keys = [k.strip() for k in await teacher.locator("#roster-body td.key").all_text_contents()]
        class_href = await teacher.get_attribute("#class-grid", "href")
        grid = await self.page()
        await grid.goto("/grid")
        await shoot(grid, "grid-student-key")
        if self.progress is None:  # no learning tracks on this server: nothing to draw a grid from
            await self.run_team_game(shoot, teacher, keys)
            return
        await self.progress(keys)
        await grid.fill("#grid-key", keys[0])
        await grid.keyboard.press("Enter")
        await grid.wait_for_selector("#grid td.lvl-mastered")
        await grid.locator("#grid td.lvl-mastered").first.hover()
        await shoot(grid, "grid-student")
        await teacher.goto(class_href)
        await teacher.wait_for_selector("#grid td.share")
        await teacher.locator("#grid td.share").nth(30).hover()
        await shoot(teacher, "grid-class")
        if self.personal is not None:
            await self.run_personal_round(shoot, teacher)
        await self.run_team_game(shoot, teacher, keys)

    async def shoot_narrow(self, page, shoot, answer: int) -> None:
        """The question on a 320 px phone with Extra large text (a reload applies the
        preference; the student comes back into the question), then the page as it was."""
        prefs = "JSON.stringify({font_size: 'x-large', color_scheme: 'default'})"
        await page.set_viewport_size({"width": 320, "height": 640})
        await page.evaluate(f"localStorage.setItem('mathrally.prefs', {prefs})")
        await page.reload()
        await page.wait_for_selector("[data-view=question]", state="visible")
        await page.wait_for_timeout(2000)
        await page.keyboard.type(str(answer)[:1])
        await shoot(page, "play-question-narrow")
        await page.keyboard.press("Backspace")
        await page.evaluate("localStorage.removeItem('mathrally.prefs')")
        await page.set_viewport_size(self.viewport)
        await page.reload()
        await page.wait_for_selector("[data-view=question]", state="visible")

    async def open_room(self, teacher, room: dict, names) -> tuple:
        """The projector, the teacher's host console (signed in: the teacher's browser) and
        one page per student joined, all in the lobby of `room`."""
        screen = await self.page()
        await screen.goto(room["screen_url"])
        await screen.wait_for_selector("#join-code")
        host = await teacher.context.new_page()
        await host.goto(room["host_url"])
        await host.wait_for_selector("#phase:text('lobby')")
        students = []
        for name in names:
            page = await self.page()
            await join_as_student(page, room["code"], name)
            students.append(page)
        return screen, host, students

    async def run_personal_round(self, shoot, teacher) -> None:
        """A game with personal rounds: two students on the same tick, each their own fact."""
        track_id, make_due = self.personal
        await teacher.goto("/teacher")
        room = await create_room(teacher, title="Our own facts", questions=1, seconds=30,
                                 track_id=str(track_id), personal=True)
        screen, host, students = await self.open_room(teacher, room, self.STUDENTS[:2])
        await make_due(room["room_id"], self.STUDENTS[1])
        await host.click("#btn-start")
        for page in students:
            await wait_for_question(page, 0)
        await screen.wait_for_selector("#screen-prompt:text('Everyone has their own fact')")
        await shoot(students[0], "play-personal")
        await shoot(students[1], "play-personal-other")
        await shoot(screen, "screen-personal")
        await shoot(host, "host-personal")
        await host.click("#btn-end")

    async def run_team_game(self, shoot, teacher, keys: list[str]) -> None:
        """A team game of the class (students join with their keys): the lobby, the team board
        on the projector, the console and the phones, the team podium, then the class boards."""
        await teacher.goto("/teacher")
        room = await create_room(teacher, title="Team tables", low=2, high=9, questions=3, seconds=20,
                                 teams=3, class_name="Class 3B")
        screen = await self.page()
        await screen.goto(room["screen_url"])
        await screen.wait_for_selector("#join-code")
        host = await teacher.context.new_page()
        await host.goto(room["host_url"])
        await host.wait_for_selector("#phase:text('lobby')")
        students = []
        for key in keys:
            page = await self.page()
            await join_with_key(page, room["code"], key)
            students.append(page)
        await screen.locator("#names li").nth(len(keys) - 1).wait_for()
        await host.locator("#players li").nth(len(keys) - 1).wait_for()
        await shoot(screen, "screen-team-lobby")
        await shoot(host, "host-team-lobby")
        await host.click("#btn-start")
        skill = [1.0, 0.9, 0.75, 0.6, 0.45, 0.3]
        for index in range(3):
            prompt = await wait_for_question(students[0], index)
            answer = solve(prompt)
            for i, page in enumerate(students):
                if index == 1 and i == 3:
                    await page.wait_for_timeout(4000)  # the countdown rings have run a little
                    await page.keyboard.type(str(answer)[:1])
                    await shoot(page, "play-team-question")
                    await shoot(screen, "screen-team-question")
                    await page.keyboard.press("Backspace")
                right = ((index * 5 + i * 3) % 10) / 10 < skill[i]
                await answer_by_keyboard(page, answer if right else answer + 1)
            for page in students:
                await page.wait_for_selector("[data-view=leaderboard]", state="visible")
            if index == 1:
                await screen.wait_for_selector("#screen-teams li")
                await screen.wait_for_timeout(800)  # the rows have slid to their places
                await shoot(screen, "screen-team-reveal")
                await shoot(students[2], "play-team-leaderboard")
                await shoot(host, "host-team-question")
            await host.click("#btn-next")
        for page in students:
            await page.wait_for_selector("[data-view=over]", state="visible")
        await screen.locator("#screen-podium li.p1.shown").wait_for()
        await screen.wait_for_timeout(800)
        await shoot(screen, "screen-team-podium")
        await students[2].wait_for_selector("#podium li.p1.shown")
        await shoot(students[2], "play-team-over")
        await teacher.goto("/teacher")
        await teacher.locator("#class-list button").first.click()
        await teacher.locator("#board-week li .name").first.wait_for()
        await teacher.locator("#roster").scroll_into_view_if_needed()
        await shoot(teacher, "teacher-class-boards")
        next_room = await create_room(teacher, title="Friday's tables", questions=3, class_name="Class 3B")
        await screen.goto(next_room["screen_url"])
        await screen.locator("#week-leaders li").first.wait_for()
        await shoot(screen, "screen-lobby-week")
