"""Screenshots of every page at phone (390×844) and projector (1920×1080) size into
docs/screenshots/, from a real game played on a throw-away database.

    .venv/bin/python -m tests.web.take_screenshots [--only NAME[,NAME…]]

Not a test (pytest does not collect it): it is how docs/screenshots/ is made and refreshed.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from playwright.async_api import async_playwright

from tests.support import databases, services
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, PROJECTOR
from tests.web.game_driver import Game, give_due_review, start_app
from tests.web.practice_shots import PRACTICE_SHOTS, shoot_practice
from tests.web.prefs_shots import PREFS_SHOTS, shoot_display_prefs

try:  # the grid shots need the learning tracks (persistence/curriculum)
    import persistence.curriculum.seed  # noqa: F401
    HAS_CURRICULUM = True
except ImportError:
    HAS_CURRICULUM = False

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {"phone": PHONE, "projector": PROJECTOR}


async def shoot(page, name: str, size: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    await page.wait_for_timeout(150)  # let the last frame settle
    await page.screenshot(path=str(OUT / f"{name}-{size}.png"))
    print("wrote", OUT / f"{name}-{size}.png")


async def give_class_progress(db, keys: list[str]) -> None:
    """Practice history for the roster on the multiplication track: stronger on small facts,
    each student a little different, so the grids show every level."""
    from sqlalchemy import text

    from learning.catalog import track_id
    from persistence.curriculum.seed import seed_curriculum

    await seed_curriculum(db)
    track = track_id("multiplication-12")
    async with db.sessions() as session, session.begin():
        facts = (await session.execute(text(
            "SELECT id, operand1, operand2 FROM questions WHERE track_id = :t AND operation = '×'"),
            {"t": track})).all()
        for n, key in enumerate(keys):
            user = await session.scalar(text("SELECT user_id FROM class_students WHERE student_key = :k"),
                                        {"k": key})
            for qid, a, b in facts:
                hardness = max(a, b) + min(a, b) / 2 + n  # bigger factors are harder
                if hardness > 14:
                    continue  # not tried yet
                total = 10
                correct = max(4, round(10 - hardness / 2.4))
                avg_ms = int(900 + hardness * 420)
                await session.execute(text(
                    "INSERT INTO question_progress (question_id, user_id, total_attempts, "
                    "correct_attempts, incorrect_attempts, average_response_time, last_response_time, "
                    "last_attempt_date) VALUES (:q, :u, :n, :c, :w, :avg, :avg, now())"),
                    {"q": qid, "u": user, "n": total, "c": correct, "w": total - correct, "avg": avg_ms})
        # The track the grid opens on: the one the students have started.
        for key in keys:
            await session.execute(text(
                "INSERT INTO user_track_progress (user_id, track_id, is_unlocked, started_date) "
                "SELECT user_id, :t, true, now() FROM class_students WHERE student_key = :k "
                "ON CONFLICT DO NOTHING"), {"t": track, "k": key})


async def main(only: str | None) -> None:
    from persistence.database import create_database
    from persistence.migrations import migrate_async

    server_url = services.postgres_server_url()
    name = services.unique_name("mathrally_shots")
    db_url = await databases.create_database(server_url, name)
    try:
        await migrate_async(db_url)
        db = create_database(db_url, pool_size=2)
        async with start_app(db_url, services.redis_url(), name) as base, async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            personal = None
            if HAS_CURRICULUM:
                from learning.catalog import track_id

                track = track_id("multiplication-12")
                personal = (track, lambda room_id, name: give_due_review(db, room_id, name, track, 5))
            wanted = set(only.split(",")) if only else None
            for size, viewport in SIZES.items():
                if HAS_CURRICULUM and (wanted is None or wanted & PRACTICE_SHOTS):
                    from persistence.curriculum.seed import seed_curriculum

                    await seed_curriculum(db)
                    await shoot_practice(browser, base, viewport, lambda page, n, s=size: shoot(page, n, s)
                                         if wanted is None or n in wanted else asyncio.sleep(0))
                if HAS_CURRICULUM and (wanted is None or wanted & PREFS_SHOTS):
                    await shoot_display_prefs(
                        browser, base, viewport,
                        lambda page, n, s=size: shoot(page, n, s) if wanted is None or n in wanted
                        else asyncio.sleep(0),
                        lambda keys: give_class_progress(db, keys))
                if wanted is not None and wanted <= PRACTICE_SHOTS | PREFS_SHOTS:
                    continue  # only practice shots asked for: no game to play
                game = Game(browser, base, viewport,
                            progress=(lambda keys: give_class_progress(db, keys)) if HAS_CURRICULUM else None,
                            personal=personal)
                await game.run_for_screenshots(lambda page, n, s=size: shoot(page, n, s)
                                               if only is None or n in only.split(",") else asyncio.sleep(0))
                await game.close()
            await browser.close()
        await db.dispose()
    finally:
        await databases.drop_database(server_url, name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--only")
    asyncio.run(main(parser.parse_args().only))
