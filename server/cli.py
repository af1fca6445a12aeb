"""`mathrally serve | migrate | seed | retention | backup | restore` (`python -m server` is `serve`)."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from persistence.database import create_database
from persistence.migrations import migrate
from server import ops_cli
from server.app import create_app
from server.environment import help_epilog
from server.gc_policy import CollectorPolicy
from server.logs import configure_logging
from server.pages import missing_browser_assets
from server.resources import resolve_database_url, seed_learning_tracks
from server.settings import Settings

log = logging.getLogger("mathrally")


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    missing = missing_browser_assets()
    if missing:
        log.error("the browser bundle is missing (%s): build it with `cd web && npm ci && node "
                  "scripts/vendor.mjs` (./dev serve does) before building or running the server",
                  missing)
        return 1
    if not _port_is_free(settings.host, settings.port):
        log.error(_PORT_IN_USE, settings.port, settings.host)
        return 1
    if settings.secret_key_generated:
        log.warning("SECRET_KEY is unset: this worker signs rejoin tokens with a random key of its "
                    "own, so they stop working when it restarts; set SECRET_KEY to keep them")
    app = create_app(settings, seed_tracks=args.seed)
    # The server process only: in-process test apps keep the interpreter's defaults.
    app.cleanup_ctx.append(CollectorPolicy().app_ctx)
    try:
        # run_app calls `print` once every site listens: that is when to say where to go.
        web.run_app(app, host=settings.host, port=settings.port, access_log=None,
                    print=lambda _banner: _log_listening(settings), loop=_uvloop_if_installed())
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:  # taken between the check above and the bind
            raise
        log.error(_PORT_IN_USE, settings.port, settings.host)
        return 1
    return 0


_PORT_IN_USE = "port %d on %s is already in use (is another server running?): stop it or set PORT"


def _uvloop_if_installed() -> asyncio.AbstractEventLoop | None:
    """run_app's `loop`: uvloop's, faster, where installed (pyproject leaves it out on Windows);
    None lets run_app make asyncio's."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop()


def _port_is_free(host: str, port: int) -> bool:
    """Bind as aiohttp will (SO_REUSEADDR), so a busy port is refused before anything starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def _log_listening(settings: Settings) -> None:
    if settings.public_url:
        base = settings.public_url.rstrip("/")
    else:
        shown = "localhost" if settings.host in ("0.0.0.0", "::", "") else settings.host
        base = f"http://{shown}:{settings.port}"
    log.info("listening on %s port %d: teachers open %s/teacher, students %s/",
             settings.host, settings.port, base, base)


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    url = asyncio.run(resolve_database_url(settings))
    migrate(url)
    log.info("database schema is up to date")
    return 0


def _seed(settings: Settings, _args: argparse.Namespace) -> int:
    async def run() -> None:
        url = await resolve_database_url(settings)
        await asyncio.to_thread(migrate, url)
        database = create_database(url, pool_size=1)
        try:
            await seed_learning_tracks(database)
        finally:
            await database.dispose()

    asyncio.run(run())
    return 0


def _configure_serve(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", action="store_true",
                        help="write the standard learning tracks as it starts (as `mathrally seed`)")


def _no_options(_parser: argparse.ArgumentParser) -> None:
    pass


@dataclass(frozen=True)
class Command:
    run: Callable[[Settings, argparse.Namespace], int]
    help: str
    configure: Callable[[argparse.ArgumentParser], None] = _no_options


COMMANDS = {
    "serve": Command(_serve, "run the server (HTTP, Socket.IO, the web pages)", _configure_serve),
    "migrate": Command(_migrate, "apply pending schema migrations (safe to repeat)"),
    "seed": Command(_seed, "write the standard learning tracks and their facts (safe to repeat)"),
    "retention": Command(ops_cli.retention, "apply the data retention policy (archive, "
                         "aggregate, trim) in batches", ops_cli.configure_retention),
    "backup": Command(ops_cli.backup, "pg_dump the database into a folder, keeping the newest N",
                      ops_cli.configure_backup),
    "restore": Command(ops_cli.restore, "pg_restore a backup into an empty (or --wipe'd) database",
                       ops_cli.configure_restore),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mathrally", description="Math Rally server")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, command in COMMANDS.items():
        command.configure(sub.add_parser(
            name, help=command.help, description=command.help, epilog=help_epilog(name),
            formatter_class=argparse.RawDescriptionHelpFormatter))
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.command == "serve":
            settings.check_can_serve()
    except ValueError as exc:   # a mistyped or missing variable: one line naming it, no traceback
        parser.exit(2, f"mathrally: error: {exc}\n")
    configure_logging()
    return COMMANDS[args.command].run(settings, args)


if __name__ == "__main__":
    sys.exit(main())
