"""deploy/redis for real: a Redis primary and its replica under three Sentinels
(tests/support/sentinel.py), REDIS_URL=redis+sentinel://… for the app's client, the Socket.IO
manager and the failure limits, and the Redis primary killed (SIGKILL) mid-game: the game plays
on across the failover with every answer counted and the boards right (docs/operations.md,
"Redis with Sentinel")."""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from persistence.database import create_database
from persistence.redis_client import create_redis, delete_prefix
from rooms.leaderboard import composite, player_of_member, room_board_key
from server.failure_limits import WRONG_JOIN_CODES, FailureLimits, create_storage
from tests.support import factories
from tests.support.fault_checker import check_game_after_fault
from tests.support.fault_game import ClassroomGame
from tests.support.scrape import scrape
from tests.support.sentinel import DEPLOY, SentinelSet, sentinel_set
from tests.support.services import unique_name
from tests.support.workers import read_logs, start_worker, stop_workers

pytestmark = pytest.mark.slow
STUDENTS = 12
QUESTIONS = 5


def test_the_shipped_files_fail_over_quickly_and_never_evict():
    sentinel = (DEPLOY / "sentinel.conf").read_text()
    assert re.search(r"^sentinel monitor mathrally \S+ 6379 2$", sentinel, re.M)
    assert re.search(r"^sentinel down-after-milliseconds mathrally 2000$", sentinel, re.M)
    assert "REDIS_URL=redis+sentinel://" in sentinel
    redis = (DEPLOY / "redis.conf").read_text()
    for line in ("maxmemory-policy noeviction", 'save ""', "appendonly no", "replica-read-only yes"):
        assert re.search(rf"^{re.escape(line)}$", redis, re.M), line


@pytest.fixture
async def sentinels() -> AsyncIterator[SentinelSet]:
    async with sentinel_set() as made:
        yield made


async def test_the_app_client_and_the_limits_wait_out_a_failover(sentinels: SentinelSet):
    redis = create_redis(sentinels.url)
    limits = FailureLimits(create_storage(sentinels.url, "sentinel_test", redis))
    waits: list[float] = []
    try:
        await redis.set("sentinel_test:counter", 0)
        await limits.count(WRONG_JOIN_CODES, "203.0.113.9")
        stop = asyncio.Event()

        async def increments() -> None:
            while not stop.is_set():
                started = time.monotonic()
                await redis.incr("sentinel_test:counter")  # never raises: it waits
                waits.append(time.monotonic() - started)
                await asyncio.sleep(0.02)

        task = asyncio.create_task(increments())
        await asyncio.sleep(0.5)
        old = await sentinels.kill_primary()
        failover_s = await sentinels.wait_failover(old.port)
        await asyncio.sleep(0.5)
        stop.set()
        await task
        # Every increment waited for the new primary and was applied once.
        assert int(await redis.get("sentinel_test:counter")) == len(waits)
        # The limits' count made before the failover is there (replicated), and they count on.
        await limits.count(WRONG_JOIN_CODES, "203.0.113.9")
        stats = await limits._limiter.get_window_stats(WRONG_JOIN_CODES.item, _subject("203.0.113.9"))
        assert stats.remaining == WRONG_JOIN_CODES.amount - 2
        print(f"\nSENTINEL client: failover {failover_s:.2f} s after the kill; the longest "
              f"command waited {max(waits):.2f} s; {len(waits)} increments, none lost")
        assert max(waits) < failover_s + 2
    finally:
        await redis.aclose()


async def test_a_connection_that_dropped_reconnects_to_the_new_primary(sentinels: SentinelSet):
    """A command whose connection dropped is resent over a new connection to the primary the
    Sentinels name now, not to the address the connection had (the killed primary)."""
    redis = create_redis(sentinels.url)
    try:
        await redis.set("sentinel_test:counter", 1)
        connection = await redis.connection_pool.get_connection()
        old = await sentinels.kill_primary()
        await sentinels.wait_failover(old.port)
        await connection.disconnect()  # as a send on the dead primary's socket leaves it
        await connection.send_command("INCR", "sentinel_test:counter")
        assert await connection.read_response() == 2
        assert connection.port == await sentinels.primary_port() != old.port
        await redis.connection_pool.release(connection)
    finally:
        await redis.aclose()


def _subject(subject: str) -> str:
    from server.failure_limits import _subject as hashed

    return hashed(subject)


async def test_a_game_plays_on_when_the_redis_primary_is_killed(sentinels: SentinelSet, database_url):
    prefix = unique_name("mathrally_sentinel")
    logs = Path(tempfile.mkdtemp(prefix="mathrally-sentinel-workers-"))
    workers = [await start_worker(database_url, sentinels.url, prefix, logs) for _ in range(2)]
    db = create_database(database_url, pool_size=2)
    teacher, token = await factories.make_teacher_with_token(db)
    room = await factories.make_room(db, teacher, question_count=QUESTIONS, time_limit_ms=10_000,
                                     auto_advance_ms=1500)
    game = ClassroomGame([url for _, url in workers], token, room, STUDENTS)
    redis = create_redis(sentinels.url)
    try:
        await game.join()
        assert game.host is not None

        async def fault() -> tuple[float, float]:
            await game.host.wait_for("question", predicate=lambda d: d["index"] == 1, within_s=120)
            await asyncio.sleep(0.5)
            old = await sentinels.kill_primary()
            killed = time.monotonic()
            return killed, await sentinels.wait_failover(old.port)

        fault_task = asyncio.create_task(fault())
        run = await game.play(QUESTIONS)
        killed, failover_s = await fault_task
        await check_game_after_fault(database_url, room["room_id"], run)

        # The board on the new primary: every player's committed points and time, once each.
        board = await redis.zrange(room_board_key(prefix, room["room_id"]), 0, -1, withscores=True)
        conn = await asyncpg.connect(database_url)
        try:
            stored = {r["id"]: composite(r["points"], r["time"]) for r in await conn.fetch(
                "SELECT p.id, COALESCE(sum(a.points), 0)::int AS points, "
                "COALESCE(sum(a.response_time), 0)::int AS time FROM room_players p LEFT JOIN "
                "answer_attempts a ON a.session_id = p.session_id WHERE p.room_id = $1 GROUP BY p.id",
                room["room_id"])}
        finally:
            await conn.close()
        assert {player_of_member(member): int(score) for member, score in board} == stored
        for url in (url for _, url in workers):
            found = await scrape(url)
            assert found[("mathrally_redis_manager_up", ())] == 1
        waits_after = [s.waited_s for r in run.records for s in r.sends if s.at >= killed - 1]
        # A pause, not an outage: no answer waited much longer than the failover took.
        assert run.max_wait_s() < failover_s + 2.0, run.summary()
        print(f"\nSENTINEL game: failover {failover_s:.2f} s after the kill; "
              f"{run.summary()}; longest ack wait from the kill on {max(waits_after, default=0):.2f} s; "
              f"{len(stored)} players on the board, each equal to PostgreSQL")
    finally:
        await game.close()
        slow = await stop_workers([proc for proc, _ in workers])
        await delete_prefix(redis, prefix)
        await redis.aclose()
        await db.dispose()
        worker_logs = read_logs(logs)
        shutil.rmtree(logs, ignore_errors=True)
    assert not slow, worker_logs
