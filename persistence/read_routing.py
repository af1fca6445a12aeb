"""Reads a streaming replica may serve (DATABASE_REPLICA_URL), and how fresh they are.

Two kinds of read, chosen by the caller:

- `fresh(read)` sees every write committed before it was called (read-your-writes): it asks the
  primary for its WAL position, waits until the replica has replayed up to it (at most
  `wait_s`), and reads from the primary when the replica does not get there in time.
- `bounded(read)` may miss at most the last `max_lag_s` of writes. A probe samples the
  primary's WAL position with the time every `probe_interval_s`, and the replica's replay
  position after it; a replica that has replayed up to a sample taken at time t holds every
  write committed before t, so it is read only while now − t ≤ `max_lag_s`.

Replay only moves forward, so a position reached before a read began is included in the read's
snapshot. Any error on the replica (gone, restarting, a query cancelled by recovery) makes that
read run on the primary and keeps the replica aside for `RETRY_AFTER_S`.

These reads have connections of their own (the caller gives a bounded pool for the primary and
one for the replica), never the live game's: when every one is in use and none comes free
within the pool's timeout, the read is refused with `ReadsBusy` (the caller answers "busy, try
again"), and nothing is set aside, since a busy pool says nothing about the replica's health.

Whatever decides (answers, joins, sign-in, authorisation, practice) never reads through this:
those take the primary's Database directly. Without a replica both kinds read the primary.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from persistence.database import Database

log = logging.getLogger(__name__)

T = TypeVar("T")

# After an error on the replica, its reads go to the primary for this long.
RETRY_AFTER_S = 5.0
# The replica's replay position is polled this often while a fresh read waits.
POLL_S = 0.005
# Samples of the primary's position kept to date the replica's: ten minutes at 0.5 s.
SAMPLES_KEPT = 1200

# Where the primary has flushed WAL to: past every commit that has returned (with
# synchronous_commit on, the default and what docs/operations.md sets). The insert position
# would not do: WAL inserted without a commit (a SELECT pruning a page) can stay unflushed on a
# quiet primary, and no standby ever replays it.
_PRIMARY_POSITION = text("SELECT pg_current_wal_flush_lsn()::text")
_REPLAYED = text("SELECT pg_last_wal_replay_lsn()::text")

# (kind "fresh"/"bounded", served by "replica"/"primary", reason)
ReadObserver = Callable[[str, str, str], None]


class ReadsBusy(Exception):
    """Every connection these reads may use is busy and none came free in time."""


class ReplicaNotStandby(Exception):
    """DATABASE_REPLICA_URL names a server that is not replaying WAL (a primary, or a former
    standby that was promoted): reading from it could show anything."""


@dataclass(frozen=True)
class LagReading:
    """What the last probe saw: how far the replica's replay is behind the primary, in bytes of
    WAL, and in seconds (an upper bound: the age of the newest sample of the primary's position
    the replica had replayed, with the probe's interval as its resolution)."""

    bytes_behind: int
    seconds_behind: float


def lsn_value(lsn: str) -> int:
    """'16/B374D848' → a number that orders like the WAL position."""
    high, low = lsn.split("/")
    return (int(high, 16) << 32) | int(low, 16)


class ReadRouting:
    def __init__(self, primary: Database, replica: Database | None = None, *, max_lag_s: float = 2.0,
                 wait_s: float = 1.0, probe_interval_s: float = 0.5,
                 retry_after_s: float = RETRY_AFTER_S, on_read: ReadObserver | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.primary = primary
        self.replica = replica
        self.max_lag_s = max_lag_s
        self.wait_s = wait_s
        self.probe_interval_s = probe_interval_s
        self.retry_after_s = retry_after_s
        self._on_read = on_read
        self._clock = clock
        # (primary position, when it was read), oldest first; positions never decrease.
        self._samples: deque[tuple[int, float]] = deque(maxlen=SAMPLES_KEPT)
        self._replayed: int | None = None
        self._aside_until = 0.0
        self.last_lag: LagReading | None = None
        # None until the first probe: the first answer is logged either way.
        self.replica_up: bool | None = None

    # --- the two kinds of read --------------------------------------------------------------

    async def fresh(self, read: Callable[[Database], Awaitable[T]]) -> T:
        """`read` on a database that holds every write committed before this call."""
        try:
            return await self._fresh(read)
        except PoolTimeout as exc:
            raise ReadsBusy(_describe(exc)) from None

    async def bounded(self, read: Callable[[Database], Awaitable[T]]) -> T:
        """`read` on a database that misses at most the last `max_lag_s` of writes."""
        try:
            return await self._bounded(read)
        except PoolTimeout as exc:
            raise ReadsBusy(_describe(exc)) from None

    async def _fresh(self, read: Callable[[Database], Awaitable[T]]) -> T:
        replica = self._usable_replica()
        if replica is None:
            return await self._on_primary("fresh", read, "no_replica" if self.replica is None
                                          else "replica_aside")
        target = await self._primary_position()
        try:
            reached = await self._wait_for_replay(replica, target)
        except PoolTimeout:
            raise
        except (SQLAlchemyError, OSError, TimeoutError, ReplicaNotStandby) as exc:
            self._set_aside(exc)
            return await self._on_primary("fresh", read, "replica_error")
        if not reached:
            return await self._on_primary("fresh", read, "wait_timeout")
        return await self._on_replica("fresh", read, "caught_up")

    async def _bounded(self, read: Callable[[Database], Awaitable[T]]) -> T:
        replica = self._usable_replica()
        if replica is None:
            return await self._on_primary("bounded", read, "no_replica" if self.replica is None
                                          else "replica_aside")
        staleness = self.staleness_bound()
        if staleness is None or staleness > self.max_lag_s:
            return await self._on_primary("bounded", read, "lagging")
        return await self._on_replica("bounded", read, "within_bound")

    def staleness_bound(self) -> float | None:
        """Seconds of writes a read of the replica could miss right now, or None when no sample
        the replica is known to have replayed is kept."""
        if self._replayed is None:
            return None
        newest = bisect.bisect_right(self._samples, self._replayed, key=lambda s: s[0]) - 1
        if newest < 0:
            return None
        return max(0.0, self._clock() - self._samples[newest][1])

    # --- the probe ----------------------------------------------------------------------------

    async def probe(self) -> LagReading | None:
        """Sample the primary's position, then the replica's replay position; the reading, or
        None when either could not be read. Logs only when the replica goes away or comes back."""
        if self.replica is None:
            return None
        try:
            sampled_at = self._clock()
            position = await self._primary_position()
        except (SQLAlchemyError, OSError, TimeoutError):
            return None  # the primary's own trouble is reported by everything else that uses it
        self._samples.append((position, sampled_at))
        try:
            replayed = await self._replayed_position(self.replica)
        except (SQLAlchemyError, OSError, TimeoutError, ReplicaNotStandby) as exc:
            if self.replica_up is not False:
                log.warning("replica probe: %s", _describe(exc))
            self.replica_up = False
            self._replayed = None
            return None
        if self.replica_up is not True:
            log.info("replica probe: the replica answers")
        self.replica_up = True
        self._replayed = replayed
        seconds = self.staleness_bound()
        if seconds is None:  # behind every kept sample: at least as old as the oldest
            seconds = self._clock() - self._samples[0][1]
        self.last_lag = LagReading(max(0, position - replayed), seconds)
        return self.last_lag

    async def run_probe(self) -> None:
        """Probe every `probe_interval_s` until cancelled."""
        while True:
            await self.probe()
            await asyncio.sleep(self.probe_interval_s)

    # --- the parts ------------------------------------------------------------------------------

    def _usable_replica(self) -> Database | None:
        if self.replica is None or self._clock() < self._aside_until:
            return None
        return self.replica

    def _set_aside(self, exc: BaseException) -> None:
        self._aside_until = self._clock() + self.retry_after_s
        log.warning("replica unavailable, reading from the primary for %.0f s: %s",
                    self.retry_after_s, _describe(exc))

    async def _on_primary(self, kind: str, read: Callable[[Database], Awaitable[T]], reason: str) -> T:
        self._observe(kind, "primary", reason)
        return await read(self.primary)

    async def _on_replica(self, kind: str, read: Callable[[Database], Awaitable[T]], reason: str) -> T:
        assert self.replica is not None
        try:
            result = await read(self.replica)
        except PoolTimeout:
            raise
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            self._set_aside(exc)
            return await self._on_primary(kind, read, "replica_error")
        self._observe(kind, "replica", reason)
        return result

    def _observe(self, kind: str, served_by: str, reason: str) -> None:
        if self._on_read is not None:
            self._on_read(kind, served_by, reason)

    async def _primary_position(self) -> int:
        async with self.primary.engine.connect() as conn:
            return lsn_value((await conn.execute(_PRIMARY_POSITION)).scalar_one())

    async def _replayed_position(self, replica: Database) -> int:
        async with replica.engine.connect() as conn:
            replayed = (await conn.execute(_REPLAYED)).scalar_one()
        if replayed is None:
            raise ReplicaNotStandby("DATABASE_REPLICA_URL is not a standby in recovery "
                                    "(pg_last_wal_replay_lsn() is NULL): not reading from it")
        return lsn_value(replayed)

    async def _wait_for_replay(self, replica: Database, target: int) -> bool:
        """True once the replica has replayed up to `target`, False after `wait_s`."""
        if self._replayed is not None and self._replayed >= target:
            return True
        deadline = self._clock() + self.wait_s
        async with replica.engine.connect() as conn:
            while True:
                replayed = (await conn.execute(_REPLAYED)).scalar_one()
                if replayed is None:
                    raise ReplicaNotStandby("DATABASE_REPLICA_URL is not a standby in recovery")
                if lsn_value(replayed) >= target:
                    self._replayed = max(self._replayed or 0, lsn_value(replayed))
                    return True
                if self._clock() >= deadline:
                    return False
                await asyncio.sleep(POLL_S)


def _describe(exc: BaseException) -> str:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__

