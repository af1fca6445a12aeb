"""`mathrally serve | migrate | seed` (and `python -m server`, which is `mathrally serve`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from server.settings import Settings

log = logging.getLogger("mathrally")


def _serve(settings: Settings) -> None:
    from aiohttp import web

    from server.app import create_app

    try:
        import uvloop  # faster event loop where available

        loop_factory = uvloop.new_event_loop
    except ImportError:
        loop_factory = None
    log.info("Math Rally listening on http://%s:%d", settings.host, settings.port)
    runner_kwargs = {"loop": loop_factory()} if loop_factory else {}
    web.run_app(create_app(settings), host=settings.host, port=settings.port,
                print=None, access_log=None, **runner_kwargs)


def _migrate(settings: Settings) -> None:
    from persistence.migrations import migrate
    from server.resources import resolve_database_url

    url = asyncio.run(resolve_database_url(settings))
    migrate(url)
    log.info("database schema is up to date")


def _seed(settings: Settings) -> None:
    from persistence.curriculum.seed import seed_curriculum
    from persistence.database import create_database
    from persistence.migrations import migrate
    from server.resources import resolve_database_url

    async def run() -> None:
        url = await resolve_database_url(settings)
        await asyncio.to_thread(migrate, url)
        database = create_database(url, pool_size=1)
        try:
            report = await seed_curriculum(database)
        finally:
            await database.dispose()
        log.info("learning tracks seeded: inserted %s, updated %s", report.inserted, report.updated)

    asyncio.run(run())


COMMANDS = {
    "serve": (_serve, "run the server (HTTP, Socket.IO, the web pages)"),
    "migrate": (_migrate, "apply pending schema migrations (safe to repeat)"),
    "seed": (_seed, "write the standard learning tracks and their facts (safe to repeat)"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mathrally", description="Math Rally server")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    handler, _ = COMMANDS[args.command]
    handler(Settings.from_env())
    return 0


if __name__ == "__main__":
    sys.exit(main())
