"""The seed's daily and weekly leaderboards: points each student scored in live games today
and this week, read per class by their teacher (and on the projector's lobby).

Each board is a Redis sorted set of user id → points (`rooms/keys.py`), one key per period:
the UTC day, the ISO week (Monday to Monday, UTC). A key expires when its period ends.

Every value written is a total read from PostgreSQL (`LivePointsRecord`), never an increment,
and it is written with ZADD GT. Within a period a student's total only grows, so of two
writes the larger is the later truth, whatever order they land in: workers writing at once,
a reader filling in a missing student while answers commit, or a write computed just before
Redis lost its data, can never leave a board too low or count anything twice. A student
missing from a board (Redis lost it, the period just began, nobody has asked yet) is read
from PostgreSQL when someone asks, and written back; so a board is rebuilt, member by
member, whenever Redis has lost it. Writing totals, never increments, is what makes a board
that lost members still right for those it has; when the generation marker says Redis lost
its data (rooms/generation.py), each worker also writes again at once every student it had
written to the current boards.

After each committed batch the writer's hook marks the students who scored; their totals are
read in one statement and written at most once a second per worker (`FLUSH_DELAY_MS`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from rooms.clock import Cancellable, Clock, Scheduler, naive_utc
from rooms.keys import daily_board_key, weekly_board_key
from rooms.ports import CommittedAnswer, LivePointsRecord

log = logging.getLogger(__name__)

FLUSH_DELAY_MS = 1000
DAY, WEEK = "day", "week"
PERIODS = (DAY, WEEK)


@dataclass(frozen=True)
class Period:
    """One board's time span, [start, end) in naive UTC, and its key."""

    kind: str
    start: dt.datetime
    end: dt.datetime
    key: str

    @property
    def end_epoch_s(self) -> int:
        return int(self.end.replace(tzinfo=dt.UTC).timestamp())


def period_of(kind: str, now: dt.datetime, prefix: str) -> Period:
    """The day or the ISO week that `now` (naive UTC) falls in."""
    day = now.date()
    if kind == DAY:
        start = dt.datetime.combine(day, dt.time())
        return Period(DAY, start, start + dt.timedelta(days=1), daily_board_key(prefix, day))
    if kind == WEEK:
        start = dt.datetime.combine(day - dt.timedelta(days=day.weekday()), dt.time())
        return Period(WEEK, start, start + dt.timedelta(days=7), weekly_board_key(prefix, day))
    raise ValueError(f"no such period: {kind!r}")


@dataclass(frozen=True)
class Standing:
    rank: int
    user_id: uuid.UUID
    points: int


def ranked(points: Mapping[uuid.UUID, int], order: Sequence[uuid.UUID]) -> list[Standing]:
    """Most points first; equal points share a rank (so everyone with none shares the last
    place); `order` decides who is listed first among equals."""
    position = {user: i for i, user in enumerate(order)}
    users = sorted(points, key=lambda u: (-points[u], position.get(u, len(position))))
    return [Standing(1 + sum(1 for other in points.values() if other > points[u]), u, points[u])
            for u in users]


class PeriodBoards:
    def __init__(self, redis: Redis, prefix: str, record: LivePointsRecord, *, clock: Clock,
                 scheduler: Scheduler, flush_delay_ms: int = FLUSH_DELAY_MS) -> None:
        self._redis = redis
        self._prefix = prefix
        self._record = record
        self._clock = clock
        self._scheduler = scheduler
        self._delay_ms = flush_delay_ms
        self._dirty: set[uuid.UUID] = set()
        self._written: dict[str, set[uuid.UUID]] = {}  # period key → students written there
        self._timer: Cancellable | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def periods(self) -> list[Period]:
        now = naive_utc(self._clock.epoch_ms())
        return [period_of(kind, now, self._prefix) for kind in PERIODS]

    # --- writing ---------------------------------------------------------------------------

    async def on_committed(self, batch: Sequence[CommittedAnswer]) -> None:
        """The answer writer's after-commit hook: who scored gets their totals refreshed
        soon. Nothing is awaited here, so no ack waits for the boards."""
        scored = {answer.user_id for answer in batch if answer.points > 0}
        if scored:
            self._dirty |= scored
            self._schedule()

    def refresh_soon(self, users: Iterable[uuid.UUID]) -> None:
        """Write these students' totals again at the next flush: a room rebuilt on this worker
        after its owner died, whose totals of the last second may never have been written."""
        users = set(users)
        if users:
            self._dirty |= users
            self._schedule()

    def _schedule(self) -> None:
        if self._timer is None:
            self._timer = self._scheduler.call_later(self._delay_ms, self._start_flush)

    def _start_flush(self) -> None:
        self._timer = None
        task = asyncio.get_running_loop().create_task(self.flush())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def flush(self) -> None:
        """Write the marked students' totals now (a failure keeps them marked for later)."""
        users, self._dirty = self._dirty, set()
        if not users:
            return
        try:
            await self._refresh(users, self.periods())
        except Exception as exc:  # PostgreSQL or Redis away: the next flush tries again
            log.warning("daily/weekly boards not refreshed for %d students: %s", len(users), exc)
            self._dirty |= users
            self._schedule()

    async def _refresh(self, users: Iterable[uuid.UUID],
                       periods: Sequence[Period]) -> dict[str, dict[uuid.UUID, int]]:
        users = list(users)
        totals = await self._record.live_points(users, [(p.start, p.end) for p in periods])
        found: dict[str, dict[uuid.UUID, int]] = {}
        async with self._redis.pipeline(transaction=False) as pipe:
            for i, period in enumerate(periods):
                values = {user: totals.get(user, [0] * len(periods))[i] for user in users}
                found[period.kind] = values
                pipe.zadd(period.key, {str(user): points for user, points in values.items()}, gt=True)
                pipe.expireat(period.key, period.end_epoch_s)
            await pipe.execute()
        current = {p.key for p in self.periods()}
        for period in periods:
            if period.key in current:
                self._written.setdefault(period.key, set()).update(users)
        for key in [k for k in self._written if k not in current]:
            del self._written[key]
        return found

    async def redis_lost(self) -> None:
        """Redis lost its data (rooms/generation.py): every student this worker had written
        to a current board is written again from the record now, not when someone reads."""
        users = set().union(*self._written.values()) if self._written else set()
        self._written.clear()
        if users:
            await self._refresh(users, self.periods())
        log.warning("Redis lost its data: the daily and weekly boards of %d students rebuilt",
                    len(users))

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        await self.flush()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)

    # --- reading ---------------------------------------------------------------------------

    async def points(self, kind: str, users: Sequence[uuid.UUID]) -> tuple[Period, dict[uuid.UUID, int]]:
        """Each user's points in the current day or week: from Redis, and from PostgreSQL for
        anyone Redis does not hold (written back, so the next read finds them)."""
        period = period_of(kind, naive_utc(self._clock.epoch_ms()), self._prefix)
        if not users:
            return period, {}
        stored = await self._redis.zmscore(period.key, [str(u) for u in users])
        points = {user: int(value) for user, value in zip(users, stored, strict=True) if value is not None}
        missing = [user for user in users if user not in points]
        if missing:
            points.update((await self._refresh(missing, [period]))[period.kind])
        return period, points
