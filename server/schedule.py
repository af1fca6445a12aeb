"""When a long-running operations command (`--every 24h`, `--at 02:00`) runs its job next."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger("mathrally.ops")

DURATION = re.compile(r"^(\d+)([smhd])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_duration(raw: str) -> float:
    """'90s', '30m', '24h', '7d' → seconds."""
    match = DURATION.match(raw.strip())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"expected a duration like 30m, 24h or 7d, got {raw!r}")
    return int(match.group(1)) * UNIT_SECONDS[match.group(2)]


def parse_clock(raw: str) -> dt.time:
    """'02:00' → 02:00 UTC."""
    match = CLOCK.match(raw.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"expected a UTC time of day like 02:00, got {raw!r}")
    return dt.time(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class Schedule:
    """Either every `every` seconds (first run at once) or daily at `at` UTC."""

    every: float | None = None
    at: dt.time | None = None

    def seconds_until_next(self, now: dt.datetime, *, first: bool) -> float:
        if self.every is not None:
            return 0.0 if first else self.every
        assert self.at is not None
        now = now.astimezone(dt.UTC)
        next_run = dt.datetime.combine(now.date(), self.at, tzinfo=dt.UTC)
        if next_run <= now:
            next_run += dt.timedelta(days=1)
        return (next_run - now).total_seconds()


def add_schedule_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--every", type=parse_duration, metavar="DURATION",
                       help=f"keep running: {what} now and then once per DURATION (e.g. 24h)")
    group.add_argument("--at", type=parse_clock, metavar="HH:MM",
                       help=f"keep running: {what} daily at HH:MM UTC")


def schedule_of(args: argparse.Namespace) -> Schedule | None:
    if args.every is None and args.at is None:
        return None
    return Schedule(every=args.every, at=args.at)


async def run_on_schedule(name: str, schedule: Schedule, job: Callable[[], Awaitable[None]]) -> None:
    """Run `job` forever on `schedule`; a failed run is logged and the next one still happens."""
    first = True
    while True:
        wait = schedule.seconds_until_next(dt.datetime.now(dt.UTC), first=first)
        first = False
        if wait > 0:
            log.info("%s: next run in %.0f s", name, wait)
            await asyncio.sleep(wait)
        try:
            await job()
        except Exception:  # the worker stays up; the next run retries
            log.exception("%s run failed", name)
