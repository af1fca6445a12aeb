"""PostgreSQL fails under a live two-worker game (real processes, real clients): stopped
fast and immediate, replies black-holed for 15 s, COMMIT replies lost. Students keep
answering and resend what may be resent; every run ends with the fault checker
(tests/support/fault_checker.py) and every board of the room equal to PostgreSQL. Each test
prints what students saw, the acks during the fault by code and the recovery time
(docs/operations.md, "Faults")."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest

from persistence.database import create_database
from persistence.redis_client import create_redis, delete_prefix
from tests.support import factories
from tests.support.board_checker import boards_against_record, boards_match
from tests.support.fault_checker import check_game_after_fault
from tests.support.fault_game import ClassroomGame, GameRun
from tests.support.pg_proxy import PgProxy
from tests.support.private_services import PrivateRedis, private_database
from tests.support.services import unique_name
from tests.support.workers import read_logs, start_worker, stop_workers

pytestmark = pytest.mark.slow
STUDENTS = 12
QUESTIONS = 5
# The bound an answer's ack must keep whatever PostgreSQL does (ANSWER_TIMEOUT_MS = 4 s, plus
# the way through the socket layer and the room).
ACK_BOUND_S = 5.0


@pytest.fixture(scope="module")
async def private_pg():
    async with private_database() as (cluster, url):
        yield cluster, url


@pytest.fixture(scope="module")
async def private_redis():
    server = await PrivateRedis.create()
    yield server
    await server.stop()


@pytest.fixture
async def classroom(private_pg, private_redis):
    """Two workers on the private PostgreSQL through a fault proxy; a room and its teacher."""
    pg, url = private_pg
    proxy = await PgProxy("127.0.0.1", pg.port).start()
    prefix = unique_name("mathrally_fault")
    logs = Path(tempfile.mkdtemp(prefix="mathrally-faults-"))
    proxied = url.replace(f":{pg.port}/", f":{proxy.port}/")
    workers = [await start_worker(proxied, private_redis.url, prefix, logs) for _ in range(2)]
    db = create_database(url, pool_size=2)
    teacher, token = await factories.make_teacher_with_token(db)
    room = await factories.make_room(db, teacher, question_count=QUESTIONS, time_limit_ms=10_000,
                                     auto_advance_ms=1500)
    game = ClassroomGame([url for _, url in workers], token, room, STUDENTS)
    try:
        yield pg, url, proxy, game, room, (private_redis.url, prefix)
    finally:
        await game.close()
        proxy.pass_through()
        slow_to_stop = await stop_workers([proc for proc, _ in workers])
        redis = create_redis(private_redis.url)
        await delete_prefix(redis, prefix)
        await redis.aclose()
        await db.dispose()
        await proxy.stop()
        worker_logs = read_logs(logs)
        shutil.rmtree(logs, ignore_errors=True)
        assert not slow_to_stop, worker_logs


def report(name: str, run: GameRun, **figures) -> None:
    print(f"\nFAULT {name}: " + json.dumps({**run.summary(), **figures}))


def acks_during(run: GameRun, start: float, end: float) -> dict[str, int]:
    """Acks of the sends made from `start` until 10 s after `end`, by code."""
    return dict(Counter(s.code for r in run.records for s in r.sends if start <= s.at < end + 10))


async def boards_after(url: str, redis: tuple[str, str], room: dict) -> dict[str, tuple]:
    """Every board of the room against PostgreSQL, once the daily/weekly boards (written at
    most once a second) have caught up."""
    await asyncio.sleep(1.5)
    return await boards_against_record(url, redis[0], redis[1], room["room_id"])


def assert_boards(boards: dict[str, tuple]) -> None:
    for board, (shown, record) in boards.items():
        assert shown == record, board


async def when_question_opens(game: ClassroomGame, index: int, then_s: float = 0.5) -> None:
    assert game.host is not None
    await game.host.wait_for("question", predicate=lambda d: d["index"] == index, within_s=120)
    await asyncio.sleep(then_s)


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_postgresql_stopped_mid_game(classroom, mode):
    pg, url, _proxy, game, room, redis = classroom
    await game.join()
    down_s = 3.0

    async def fault() -> tuple[float, float]:
        await when_question_opens(game, 1)
        struck = time.monotonic()
        await pg.stop(mode)
        await asyncio.sleep(down_s)
        await pg.start()
        return struck, time.monotonic()

    fault_task = asyncio.create_task(fault())
    run = await game.play(QUESTIONS)
    struck, back = await fault_task
    recovery = run.first_ok_after(back)
    boards = await boards_after(url, redis, room)
    report(f"postgresql stopped {mode}", run, down_s=down_s,
           first_ack_after_restart_s=None if recovery is None else round(recovery, 2),
           acks_during_fault=acks_during(run, struck, back), boards_match=boards_match(boards))
    assert run.max_wait_s() < ACK_BOUND_S
    assert_boards(boards)
    await check_game_after_fault(url, room["room_id"], run)


async def test_postgresql_replies_black_holed_for_15_s(classroom):
    _pg, url, proxy, game, room, redis = classroom
    await game.join()

    async def fault() -> tuple[float, float]:
        await when_question_opens(game, 1)
        struck = time.monotonic()
        proxy.black_hole()
        await asyncio.sleep(15)
        proxy.pass_through()
        return struck, time.monotonic()

    fault_task = asyncio.create_task(fault())
    run = await game.play(QUESTIONS)
    struck, back = await fault_task
    recovery = run.first_ok_after(back)
    boards = await boards_after(url, redis, room)
    report("postgresql replies black-holed 15 s", run,
           first_ack_after_restore_s=None if recovery is None else round(recovery, 2),
           acks_during_fault=acks_during(run, struck, back), boards_match=boards_match(boards))
    assert run.max_wait_s() < ACK_BOUND_S
    assert_boards(boards)
    await check_game_after_fault(url, room["room_id"], run)


async def test_commit_replies_lost_six_times(classroom):
    _pg, url, proxy, game, room, redis = classroom
    await game.join()
    proxy.drop_commit_replies(6)
    run = await game.play(QUESTIONS)
    boards = await boards_after(url, redis, room)
    report("COMMIT reply lost x6", run, dropped=proxy.commit_replies_dropped,
           boards_match=boards_match(boards))
    assert proxy.commit_replies_dropped == 6
    assert run.max_wait_s() < ACK_BOUND_S
    assert_boards(boards)
    await check_game_after_fault(url, room["room_id"], run)
