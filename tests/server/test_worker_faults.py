"""A worker killed (kill -9) mid-question under a 200-student two-worker game, with real
processes, a Redis of the test's own and raw msgpack websocket students (half on each
worker) who resend and come back as play.js does. The run ends with the fault checker
(tests/support/fault_checker.py), the room's Redis board equal to PostgreSQL, and prints a
FAULT line with the figures in docs/operations.md ("Faults")."""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.support import factories
from tests.support.board_checker import boards_against_record, boards_match
from tests.support.fault_checker import check_game_after_fault
from tests.support.live_clients import LiveClient, Refused, connect_host
from tests.support.private_services import PrivateRedis
from tests.support.raw_classroom import RawClassroom
from tests.support.workers import read_logs, start_worker, stop_workers

pytestmark = pytest.mark.slow
STUDENTS = 200
QUESTIONS = 4
TIME_LIMIT_MS = 20_000
FAULT_WINDOW_S = 10.0


@pytest.fixture
async def two_workers(database_url, redis_prefix):
    redis = await PrivateRedis.create()
    logs = Path(tempfile.mkdtemp(prefix="mathrally-worker-faults-"))
    workers = [await start_worker(database_url, redis.url, redis_prefix, logs) for _ in range(2)]
    try:
        yield redis, workers
    finally:
        slow = await stop_workers([proc for proc, _ in workers])
        await redis.stop()
        worker_logs = read_logs(logs)
        shutil.rmtree(logs, ignore_errors=True)
        assert not slow, worker_logs


async def host_on(url: str, token: str, room_id: str, within_s: float = 10) -> LiveClient:
    """The teacher's console, connected again and again until the room answers."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            return await connect_host(url, token, room_id)
        except Refused as refused:
            if refused.code != "unavailable" or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def test_the_owner_killed_mid_question(two_workers, db, database_url, redis_prefix):
    redis, workers = two_workers
    (proc_a, url_a), (_, url_b) = workers
    teacher, token = await factories.make_teacher_with_token(db)
    room = await factories.make_room(db, teacher, question_count=QUESTIONS,
                                     time_limit_ms=TIME_LIMIT_MS, auto_advance_ms=1500)
    room_id = str(room["room_id"])
    host = await connect_host(url_a, token, room_id)  # worker A claims the room: its owner
    classroom = RawClassroom([url_a, url_b], room, STUDENTS)
    clients = [host]
    try:
        await classroom.join()
        await host.wait_for("lobby", predicate=lambda d: d["count"] == STUDENTS, within_s=60)
        on_a = {s.player_id for s in classroom.students if s.home == 0}
        host_over: asyncio.Future[dict] = asyncio.get_running_loop().create_future()

        async def teacher() -> tuple[float, dict]:
            assert (await host.call("start"))["ok"]
            await host.wait_for("question", predicate=lambda d: d["index"] == 1, within_s=120)
            await asyncio.sleep(0.7)  # some have answered, most are about to
            killed = time.monotonic()
            proc_a.kill()
            back = await host_on(url_b, token, room_id)
            clients.append(back)
            closed = await back.wait_for("question_closed", predicate=lambda d: d["index"] == 1,
                                         within_s=120)
            host_over.set_result(await back.wait_for("game_over", within_s=240))
            return killed, closed

        teacher_task = asyncio.create_task(teacher())
        run = await classroom.play(QUESTIONS, host_over)
        killed, closed = await teacher_task
        sends = [s for r in run.records for s in r.sends]
        during = Counter(s.code for s in sends if killed <= s.at < killed + FAULT_WINDOW_S)
        rejoins = [s.rejoins[0] - killed for s in classroom.students if s.player_id in on_a and s.rejoins]
        takeover = run.first_ok_after(killed)
        await asyncio.sleep(1.5)  # the daily/weekly boards are written at most once a second
        boards = await boards_against_record(database_url, redis.url, redis_prefix, room_id)
        figures = {
            "takeover_s": None if takeover is None else round(takeover, 2),
            "rejoin_p50_s": round(statistics.median(rejoins), 2), "rejoin_max_s": round(max(rejoins), 2),
            "rejoined": len(rejoins), "on_killed_worker": len(on_a),
            "acks_during_fault": dict(during),
            "question_1_answered": closed["answered"],
            "max_unavailable_wait_s": round(max((s.waited_s for s in sends if s.code == "unavailable"),
                                                default=0), 2),
            "boards_match": boards_match(boards),
        }
        print(f"\nFAULT owner killed mid-question: {json.dumps({**run.summary(), **figures})}")
        assert len(rejoins) == len(on_a)
        assert takeover is not None and takeover < 3.0
        assert not [s for s in sends if s.code == "too_late"], "a student could not answer in time"
        assert closed["answered"] == STUDENTS  # the question did not close before everyone was back
        assert figures["max_unavailable_wait_s"] < 1.0
        for board, (shown, record) in boards.items():
            assert shown == record, board
        await check_game_after_fault(database_url, room_id, run)
    finally:
        await classroom.close()
        for client in clients:
            if client.sio.connected:
                await client.disconnect()


@pytest.mark.parametrize("fault", ["flushdb", "restart"])
async def test_redis_loses_its_data_mid_question(two_workers, db, database_url, redis_prefix, fault):
    """FLUSHDB, or a restart of Redis with 3 s down (no persistence: it comes back empty), while
    question 1 is open, in a team room. Leases, boards and the socket layer's channels are gone
    for a while; answers go on being acknowledged or refused retryably and the room keeps one
    owner. The board the teacher is shown when question 1 closes already equals PostgreSQL
    (the generation marker had the lost board rebuilt before it was read again), and when the
    game ends the room board, the team board and the daily and weekly class boards do."""
    redis, workers = two_workers
    (_, url_a), (_, url_b) = workers
    teacher, token = await factories.make_teacher_with_token(db)
    room = await factories.make_room(db, teacher, question_count=QUESTIONS,
                                     time_limit_ms=TIME_LIMIT_MS, auto_advance_ms=1500,
                                     team_names=("Red", "Blue", "Green"))
    room_id = str(room["room_id"])
    host = await connect_host(url_a, token, room_id)
    classroom = RawClassroom([url_a, url_b], room, STUDENTS // 2, seed=7)
    try:
        await classroom.join()
        await host.wait_for("lobby", predicate=lambda d: d["count"] == STUDENTS // 2, within_s=60)
        host_over: asyncio.Future[dict] = asyncio.get_running_loop().create_future()

        async def teacher() -> tuple[float, float, dict]:
            assert (await host.call("start"))["ok"]
            await host.wait_for("question", predicate=lambda d: d["index"] == 1, within_s=120)
            await asyncio.sleep(0.7)
            struck = time.monotonic()
            if fault == "flushdb":
                await redis.flush()
            else:
                await redis.restart(down_s=3.0)
            back = time.monotonic()
            # The first question's closing board the teacher was shown after the fault (while
            # Redis restarts, a worker's Socket.IO manager can miss broadcasts: then the next).
            shown = await host.wait_for("leaderboard", within_s=120,
                                        predicate=lambda d: d["index"] >= 1 and not d.get("live"))
            host_over.set_result(await host.wait_for("game_over", within_s=240))
            return struck, back, shown

        teacher_task = asyncio.create_task(teacher())
        run = await classroom.play(QUESTIONS, host_over)
        struck, back, shown_at_close = await teacher_task
        sends = [s for r in run.records for s in r.sends]
        during = Counter(s.code for s in sends if struck <= s.at < back + FAULT_WINDOW_S)
        recovery = run.first_ok_after(back)
        await asyncio.sleep(1.5)  # the daily/weekly boards are written at most once a second
        boards = await boards_against_record(database_url, redis.url, redis_prefix, room_id)
        async with db.engine.connect() as conn:  # each player's score when that question closed
            at_close = {str(r[0]): int(r[1]) for r in (await conn.execute(text(
                "SELECT p.id, COALESCE(SUM(a.points), 0) FROM room_players p "
                "LEFT JOIN answer_attempts a ON a.session_id = p.session_id AND a.question_index <= :i "
                "WHERE p.room_id = :r GROUP BY p.id"), {"r": room_id, "i": shown_at_close["index"]})).all()}
        top = shown_at_close["top"]
        best = sorted(at_close.values(), reverse=True)[:len(top)]
        close_board_right = (all(e["score"] == at_close[e["player_id"]] for e in top)
                             and [e["score"] for e in top] == best)
        figures = {"redis_down_s": round(back - struck, 2), "acks_during_fault": dict(during),
                   "first_ack_after_redis_back_s": None if recovery is None else round(recovery, 2),
                   "board_shown_at_close": {"index": shown_at_close["index"], "matches": close_board_right},
                   "boards_match": boards_match(boards)}
        print(f"\nFAULT redis {fault} mid-question: {json.dumps({**run.summary(), **figures})}")
        assert run.max_wait_s() < 5.0
        assert close_board_right, (top, at_close)
        for board, (shown, record) in boards.items():
            assert shown == record, board
        assert set(boards) == {"room", "teams", "day", "week"}
        await check_game_after_fault(database_url, room_id, run)
    finally:
        await classroom.close()
        if host.sio.connected:
            await host.disconnect()
