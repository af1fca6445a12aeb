"""`mathrally serve | migrate` (and `python -m server`, which is `mathrally serve`)."""

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


COMMANDS = {
    "serve": (_serve, "run the server (HTTP, Socket.IO, the web pages)"),
    "migrate": (_migrate, "apply pending schema migrations (safe to repeat)"),
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
