"""Drives the pages the way people use them: a teacher in one browser context, the projector
in another, each student in their own. Shared by the browser tests and take_screenshots."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator

from aiohttp import web

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
                      auto_advance_s: int | None = None) -> dict:
    """Fills in the New game form; returns {room_id, code, screen_url, host_url}."""
    await page.fill("#room-title", title)
    await page.select_option("#room-operation", operation)
    await page.fill("#room-min", str(low))
    await page.fill("#room-max", str(high))
    await page.fill("#room-count", str(questions))
    await page.fill("#room-time", str(seconds))
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
