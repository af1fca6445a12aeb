"""`mathrally retention | backup | restore`: the commands the people running the server use."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
from pathlib import Path

import asyncpg
from sqlalchemy.exc import SQLAlchemyError

from persistence.backup import BackupError, RestoreResult
from persistence.backup import backup as run_backup
from persistence.backup import restore as run_restore
from persistence.database import create_database
from persistence.retention import DEFAULT_BATCH_SIZE, RetentionError, run_retention, unarchive_attempts
from server.resources import resolve_database_url
from server.schedule import add_schedule_arguments, run_on_schedule, schedule_of
from server.settings import Settings

log = logging.getLogger("mathrally.ops")

DEFAULT_KEEP = 7


def _positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {raw!r}")
    return value


def _utc_datetime(raw: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected an ISO date or time (UTC), got {raw!r}") from exc
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


# --- retention --------------------------------------------------------------------------


def configure_retention(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true",
                        help="count what would be archived, aggregated and trimmed; change nothing")
    parser.add_argument("--batch-size", type=_positive_int, default=DEFAULT_BATCH_SIZE,
                        help=f"rows per transaction (default {DEFAULT_BATCH_SIZE})")
    add_schedule_arguments(parser, "apply the policy")
    parser.add_argument("--unarchive", nargs=2, type=_utc_datetime, metavar=("SINCE", "UNTIL"),
                        help="instead: move archived attempts with SINCE <= timestamp < UNTIL "
                             "back to answer_attempts")


def _progress(step: str, total: int) -> None:
    log.info("retention: %s — %d rows so far", step, total)


async def _retention_once(settings: Settings, args: argparse.Namespace) -> None:
    database = create_database(await resolve_database_url(settings), pool_size=2)
    try:
        if args.unarchive:
            since, until = args.unarchive
            moved = await unarchive_attempts(database, since, until, batch_size=args.batch_size,
                                             on_progress=_progress)
            log.info("moved %d archived answer attempts back to answer_attempts", moved)
            return
        report = await run_retention(database, batch_size=args.batch_size, dry_run=args.dry_run,
                                     on_progress=_progress)
        log.info("%s", report.summary(), extra={
            "dry_run": report.dry_run, "archived_attempts": report.counts["answer_attempts"],
            "aggregated_events": report.counts["learning_events"],
            "trimmed_sessions": report.counts["practice_sessions"]})
    finally:
        await database.dispose()


def retention(settings: Settings, args: argparse.Namespace) -> int:
    schedule = schedule_of(args)
    if schedule and (args.dry_run or args.unarchive):
        log.error("--every/--at run the policy on a schedule; they cannot be combined with "
                  "--dry-run or --unarchive")
        return 2
    if args.unarchive and (args.dry_run or args.unarchive[0] >= args.unarchive[1]):
        log.error("--unarchive SINCE UNTIL needs SINCE before UNTIL, and no --dry-run")
        return 2
    try:
        if schedule:
            asyncio.run(run_on_schedule("retention", schedule,
                                        lambda: _retention_once(settings, args)))
        else:
            asyncio.run(_retention_once(settings, args))
    except RetentionError as exc:
        log.error("%s", exc)
        return 1
    except (SQLAlchemyError, OSError):  # database unreachable, lock timeout: nothing half-done
        log.exception("retention failed; every finished batch is committed, run it again")
        return 1
    return 0


# --- backup and restore -----------------------------------------------------------------


def _default_backup_dir(settings: Settings) -> Path:
    return settings.data_dir / "backups"


def configure_backup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", type=Path, dest="directory",
                        help="where backups go (default: $MATHRALLY_DATA_DIR/backups)")
    parser.add_argument("--keep", type=_positive_int, default=DEFAULT_KEEP,
                        help=f"how many backups to keep, newest first (default {DEFAULT_KEEP})")
    add_schedule_arguments(parser, "back up")


def backup(settings: Settings, args: argparse.Namespace) -> int:
    async def once() -> None:
        url = await resolve_database_url(settings)
        result = await run_backup(url, args.directory or _default_backup_dir(settings),
                                  keep=args.keep)
        log.info("backup written: %s (%d bytes, %.2f s); removed %d old backups",
                 result.path, result.size_bytes, result.seconds, len(result.removed),
                 extra={"backup_path": str(result.path), "backup_bytes": result.size_bytes,
                        "backup_seconds": round(result.seconds, 3)})

    schedule = schedule_of(args)
    try:
        asyncio.run(run_on_schedule("backup", schedule, once) if schedule else once())
    except BackupError as exc:
        log.error("%s", exc)
        return 1
    except (OSError, asyncpg.PostgresError) as exc:
        log.error("cannot reach the database: %s: %s", type(exc).__name__, exc)
        return 1
    return 0


def configure_restore(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="a backup written by `mathrally backup`")
    parser.add_argument("--wipe", action="store_true",
                        help="drop everything in the target database first (it must be empty otherwise)")


def restore(settings: Settings, args: argparse.Namespace) -> int:
    async def go() -> RestoreResult:
        url = await resolve_database_url(settings)
        return await run_restore(url, args.file, wipe_first=args.wipe)

    try:
        result = asyncio.run(go())
    except BackupError as exc:
        log.error("%s", exc)
        return 1
    except (OSError, asyncpg.PostgresError) as exc:
        log.error("cannot reach the database: %s: %s", type(exc).__name__, exc)
        return 1
    log.info("restored %s: %d tables in %.2f s", result.path, result.tables, result.seconds)
    return 0
