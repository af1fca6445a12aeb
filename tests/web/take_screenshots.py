"""Screenshots of every page at phone (390×844) and projector (1920×1080) size into
docs/screenshots/, from a real game played on a throw-away database.

    /work/venv/bin/python -m tests.web.take_screenshots [--only NAME]

Not a test (pytest does not collect it): it is how docs/screenshots/ is made and refreshed.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from playwright.async_api import async_playwright

from tests.support import databases, services
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, PROJECTOR
from tests.web.game_driver import Game, start_app

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {"phone": PHONE, "projector": PROJECTOR}


async def shoot(page, name: str, size: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    await page.wait_for_timeout(150)  # let the last frame settle
    await page.screenshot(path=str(OUT / f"{name}-{size}.png"))
    print("wrote", OUT / f"{name}-{size}.png")


async def main(only: str | None) -> None:
    from persistence.migrations import migrate_async

    server_url = services.postgres_server_url()
    name = services.unique_name("mathrally_shots")
    db_url = await databases.create_database(server_url, name)
    try:
        await migrate_async(db_url)
        async with start_app(db_url, services.redis_url(), name) as base, async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for size, viewport in SIZES.items():
                game = Game(browser, base, viewport)
                await game.run_for_screenshots(lambda page, n, s=size: shoot(page, n, s)
                                               if only in (None, n) else asyncio.sleep(0))
                await game.close()
            await browser.close()
    finally:
        await databases.drop_database(server_url, name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--only")
    asyncio.run(main(parser.parse_args().only))
