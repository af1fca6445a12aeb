"""Browser tests: the real app on a free port, driven by Debian's Chromium through Playwright.

Playwright's own browser download is not used (it fails offline); .ci/install-test-packages puts
Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from limits.aio.storage import MemoryStorage

from server import app_keys
from server.app import create_app
from server.settings import Settings

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
VENDOR_BUNDLE = Path(__file__).resolve().parents[2] / "web" / "vendor" / "socketio.mjs"
VENDOR_FONT = VENDOR_BUNDLE.parent / "fonts" / "opendyslexic.css"
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1920, "height": 1080}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
async def live_app(database_url: str, redis_url: str | None, redis_prefix: str):
    """The whole app (pages, API, Socket.IO) on 127.0.0.1 and a free port: (base URL, app)."""
    for built in (VENDOR_BUNDLE, VENDOR_FONT):
        assert built.is_file(), (f"{built} is missing: "
                                 "run `cd web && npm ci && node scripts/vendor.mjs` (./dev does)")
    settings = Settings(database_url=database_url, redis_url=redis_url, redis_prefix=redis_prefix,
                        migrate_on_start=False, host="127.0.0.1", port=0)
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}", runner.app
    await runner.cleanup()


@pytest.fixture(scope="session")
def live_server(live_app) -> str:
    """The live app's base URL."""
    return live_app[0]


@pytest.fixture(scope="session")
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@dataclass
class Tab:
    """A page with what went wrong in it recorded: console errors and uncaught exceptions."""

    page: object
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.errors == [], f"console errors: {self.errors}"


@pytest.fixture
async def open_tab(browser, live_app, redis):
    """open_tab(path, viewport=PHONE) → a Tab in its own browser context (own storage).

    What the app counted during the test (sign-up and login limits per address: every tab
    comes from 127.0.0.1) is forgotten after it: `redis` deletes it from Redis, and without
    Redis the in-memory counts are reset here."""
    live_server, app = live_app
    contexts = []

    async def _open(path: str = "/", viewport: dict | None = None, **context_args) -> Tab:
        context = await browser.new_context(viewport=viewport or PHONE, base_url=live_server,
                                            **context_args)
        contexts.append(context)
        context.set_default_timeout(10_000)
        page = await context.new_page()
        tab = Tab(page)
        page.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: tab.errors.append(f"uncaught: {exc}"))
        if path:
            await page.goto(path)
        return tab

    yield _open
    for context in contexts:
        await context.close()
    storage = app[app_keys.FAILURE_LIMITS].storage
    if isinstance(storage, MemoryStorage):
        await storage.reset()
