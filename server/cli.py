"""`mathrally serve | migrate | seed | retention | backup | restore` (`python -m server` is `serve`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from server.logs import configure_logging
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
    from server.gc_policy import CollectorPolicy

    log.info("Math Rally listening on http://%s:%d", settings.host, settings.port)
    runner_kwargs = {"loop": loop_factory()} if loop_factory else {}
    app = create_app(settings)
    # The server process only: in-process test apps keep the interpreter's defaults.
    app.cleanup_ctx.append(CollectorPolicy().app_ctx)
    web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None,
                **runner_kwargs)


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


def _ops_command(name: str):
    """The operations commands live in server/ops_cli.py; imported only when run."""

    def run(settings: Settings, args: argparse.Namespace) -> int:
        from server import ops_cli

        return getattr(ops_cli, name)(settings, args)

    def configure(parser: argparse.ArgumentParser) -> None:
        from server import ops_cli

        getattr(ops_cli, f"configure_{name}")(parser)

    return run, configure


# name → (handler, help) or (handler(settings, args) -> exit code, help, configure(parser)).
COMMANDS = {
    "serve": (_serve, "run the server (HTTP, Socket.IO, the web pages)"),
    "migrate": (_migrate, "apply pending schema migrations (safe to repeat)"),
    "seed": (_seed, "write the standard learning tracks and their facts (safe to repeat)"),
    "retention": (*_ops_command("retention"),
                  "apply the data retention policy (archive, aggregate, trim) in batches"),
    "backup": (*_ops_command("backup"), "pg_dump the database into a folder, keeping the newest N"),
    "restore": (*_ops_command("restore"), "pg_restore a backup into an empty (or --wipe'd) database"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mathrally", description="Math Rally server")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_handler, *rest) in COMMANDS.items():
        if len(rest) == 2:  # (handler, configure, help)
            configure, help_text = rest
            configure(sub.add_parser(name, help=help_text, description=help_text))
        else:
            sub.add_parser(name, help=rest[0])
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as exc:   # a mistyped variable: say which, not a traceback
        parser.error(str(exc))
    configure_logging()
    handler, *rest = COMMANDS[args.command]
    if len(rest) == 2:
        return handler(settings, args)
    handler(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
