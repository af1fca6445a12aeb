"""The daily and weekly boards (rooms/period_boards.py) on an in-process Redis, a fake clock
and live points in memory: totals, never increments, so no order of writes can leave a board
wrong; a student Redis does not hold is read from the record; keys end with their period."""

from __future__ import annotations

import datetime as dt
import uuid

import fakeredis
import pytest

from rooms.clock import naive_utc
from rooms.period_boards import DAY, WEEK, PeriodBoards, period_of, ranked
from rooms.ports import CommittedAnswer
from tests.support.fake_clock import FakeClock
from tests.support.memory_live_points import InMemoryLivePoints

PREFIX = "test"


@pytest.fixture
async def redis():
    client = fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer())
    yield client
    await client.aclose()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def record():
    return InMemoryLivePoints()


@pytest.fixture
def boards(redis, clock, record):
    return PeriodBoards(redis, PREFIX, record, clock=clock, scheduler=clock, flush_delay_ms=1000)


def now(clock: FakeClock) -> dt.datetime:
    return naive_utc(clock.epoch_ms())


def committed(user: uuid.UUID, points: int) -> CommittedAnswer:
    return CommittedAnswer(uuid.uuid4(), user, points, 1500)


async def settle(clock: FakeClock, boards: PeriodBoards, ms: int) -> None:
    clock.advance(ms)
    await boards.close()  # waits for the flush the timer started


def test_periods_are_the_utc_day_and_the_iso_week():
    wednesday = dt.datetime(2026, 11, 25, 23, 59, 59)
    day, week = period_of(DAY, wednesday, "p"), period_of(WEEK, wednesday, "p")
    assert (day.start, day.end) == (dt.datetime(2026, 11, 25), dt.datetime(2026, 11, 26))
    assert (week.start, week.end) == (dt.datetime(2026, 11, 23), dt.datetime(2026, 11, 30))
    assert week.key == "p:leaderboard:weekly:2026-W48" and day.key == "p:leaderboard:daily:2026-11-25"
    sunday = period_of(WEEK, dt.datetime(2026, 11, 29, 12), "p")
    assert sunday == week


def test_equal_points_share_a_rank_and_no_points_share_the_last():
    a, b, c, d = (uuid.uuid4() for _ in range(4))
    standings = ranked({a: 0, b: 900, c: 900, d: 0}, [a, b, c, d])
    assert [(s.user_id, s.rank) for s in standings] == [(b, 1), (c, 1), (a, 3), (d, 3)]


async def test_scorers_get_their_totals_within_a_second_and_keys_end_with_their_period(
        boards, record, redis, clock):
    ada, bo = uuid.uuid4(), uuid.uuid4()
    record.add(ada, 900, now(clock))
    record.add(ada, 700, now(clock))
    await boards.on_committed([committed(ada, 900), committed(ada, 700), committed(bo, 0)])
    assert record.reads == 0 and await redis.zcard(period_of(DAY, now(clock), PREFIX).key) == 0
    await settle(clock, boards, 1000)
    assert record.reads == 1  # one read for the whole second's batches
    for kind in (DAY, WEEK):
        period = period_of(kind, now(clock), PREFIX)
        assert await redis.zscore(period.key, str(ada)) == 1600
        assert await redis.zscore(period.key, str(bo)) is None  # scored nothing: not refreshed
        assert await redis.expiretime(period.key) == period.end_epoch_s


async def test_a_student_redis_lost_is_read_from_the_record_and_written_back(boards, record, redis, clock):
    ada, bo, cy = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    yesterday = now(clock) - dt.timedelta(days=1)
    record.add(ada, 800, now(clock))
    record.add(bo, 600, yesterday)  # this week (unless today is Monday), not today
    period, points = await boards.points(DAY, [ada, bo, cy])
    assert points == {ada: 800, bo: 0, cy: 0}
    assert await redis.zscore(period.key, str(cy)) == 0  # known now, with no points
    await redis.delete(period.key)  # Redis lost it
    assert (await boards.points(DAY, [ada, bo, cy]))[1] == {ada: 800, bo: 0, cy: 0}
    reads = record.reads
    assert (await boards.points(DAY, [ada, cy]))[1] == {ada: 800, cy: 0}
    assert record.reads == reads  # all held by Redis now
    week = period_of(WEEK, now(clock), PREFIX)
    expected_bo = 600 if yesterday >= week.start else 0
    assert (await boards.points(WEEK, [ada, bo]))[1] == {ada: 800, bo: expected_bo}


async def test_an_older_total_landing_late_never_lowers_a_board(boards, record, redis, clock):
    """Two workers, or a reader and a flush, write the same student: whichever lands last,
    the board keeps the larger total, which is the later truth."""
    ada = uuid.uuid4()
    record.add(ada, 900, now(clock))
    await boards.on_committed([committed(ada, 900)])
    await settle(clock, boards, 1000)
    key = period_of(DAY, now(clock), PREFIX).key
    await redis.zadd(key, {str(ada): 500}, gt=True)  # a stale write arriving late
    assert await redis.zscore(key, str(ada)) == 900
    record.add(ada, 1000, now(clock))
    await boards.on_committed([committed(ada, 1000)])
    await settle(clock, boards, 1000)
    assert await redis.zscore(key, str(ada)) == 1900


async def test_a_failed_refresh_is_tried_again(boards, record, redis, clock):
    ada = uuid.uuid4()
    record.add(ada, 700, now(clock))
    record.failing = True
    await boards.on_committed([committed(ada, 700)])
    clock.advance(1000)
    await boards.flush()
    key = period_of(DAY, now(clock), PREFIX).key
    assert await redis.zscore(key, str(ada)) is None
    record.failing = False
    await settle(clock, boards, 1000)
    assert await redis.zscore(key, str(ada)) == 700
