"""Two server processes on one Redis and one database: the host on one, the students split
over both. The game plays to the end and the results agree everywhere."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

from rooms.keys import socketio_channel
from rooms.leaderboard import Leaderboards
from tests.support import factories
from tests.support.live_clients import (
    LiveClient,
    answer_twice,
    connect_host,
    connect_student,
    new_attempt,
)
from tests.support.workers import read_logs, start_worker, stop_workers

ROOT = Path(__file__).resolve().parents[2]
STUDENTS = 10
QUESTIONS = 3

pytestmark = pytest.mark.slow


@pytest.fixture
async def two_workers(database_url, shared_redis_url, redis_prefix):
    """Two `python -m server` processes on the test database and one Redis: their URLs and a
    Redis client; both must stop on SIGTERM within 30 s."""
    from persistence.redis_client import create_redis, delete_prefix

    logs = Path(tempfile.mkdtemp(prefix="mathrally-workers-"))
    workers = [await start_worker(database_url, shared_redis_url, redis_prefix, logs) for _ in range(2)]
    redis = create_redis(shared_redis_url)
    try:
        yield workers[0][1], workers[1][1], redis
    finally:
        slow_to_stop = await stop_workers([proc for proc, _ in workers])
        await delete_prefix(redis, redis_prefix)
        await redis.aclose()
        worker_logs = read_logs(logs)
        shutil.rmtree(logs, ignore_errors=True)
    assert not slow_to_stop, f"workers did not stop on SIGTERM within 30 s:\n{worker_logs}"


async def disconnect_all(clients: list[LiveClient]) -> None:
    for client in clients:
        if client.sio.connected:
            await client.disconnect()


async def test_two_workers_play_one_game(two_workers, redis_prefix, db):
    url_a, url_b, redis = two_workers
    clients: list[LiveClient] = []
    try:
        teacher, token = await factories.make_teacher_with_token(db)
        room = await factories.make_room(db, teacher, question_count=QUESTIONS, time_limit_ms=30_000)
        host = await connect_host(url_a, token, room["room_id"])
        clients.append(host)
        students = list(await asyncio.gather(*(
            connect_student(url_a if i % 2 else url_b, room["code"], f"W{i}") for i in range(STUDENTS))))
        clients.extend(students)
        lobby = await host.wait_for("lobby", predicate=lambda d: d["count"] == STUDENTS)
        assert len(lobby["players"]) == STUDENTS
        assert (await host.call("start"))["ok"]
        acks: dict[str, list[dict]] = {}
        for index in range(QUESTIONS):
            questions = await asyncio.gather(*(
                s.wait_for("question", predicate=lambda d, i=index: d["index"] == i) for s in students))
            right = str(questions[0]["operand1"] * questions[0]["operand2"])

            async def play(i: int, student: LiveClient, index=index, right=right) -> None:
                _, ack = await answer_twice(student, index, right if (i + index) % 3 else "-1")
                acks.setdefault(student.last("joined")["player_id"], []).append(ack)

            await asyncio.gather(*(play(i, s) for i, s in enumerate(students)))
            # Every connected player answered: the owner closes the question by itself.
            closed = await host.wait_for("question_closed", predicate=lambda d, i=index: d["index"] == i)
            assert closed["answered"] == STUDENTS
            for student in students:  # clients on both workers get their own leaderboard copy
                await student.wait_for("leaderboard", predicate=lambda d, i=index: d["index"] == i)
            if index == 0:  # a student moves from worker A to worker B with the rejoin token
                moving = students[1]
                before = moving.last("joined")
                you = moving.last("leaderboard")["you"]
                await moving.disconnect()
                moved = await LiveClient(url_b, "/play").connect({"rejoin_token": before["rejoin_token"]})
                clients.append(moved)
                state = await moved.wait_for("state")
                assert moved.last("joined")["player_id"] == before["player_id"]
                assert (moved.last("joined")["score"], state["streak"]) == (you["score"], you["streak"])
                students[1] = moved
            assert (await host.call("next"))["ok"]
        over = await host.wait_for("game_over")
        scores = {pid: sum(a["points"] for a in mine) for pid, mine in acks.items()}
        async with db.engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT p.id, count(*), sum(a.points) FROM answer_attempts a JOIN room_players p "
                "ON p.session_id = a.session_id WHERE p.room_id = :r GROUP BY p.id"),
                {"r": room["room_id"]})).all()
        assert {str(r[0]): (r[1], r[2]) for r in rows} == {pid: (QUESTIONS, s) for pid, s in scores.items()}
        top, _ = await Leaderboards(redis, redis_prefix).top_and_ranks(room["room_id"], [], n=100)
        assert {str(e.player_id): e.score for e in top} == scores
        assert [e["score"] for e in over["top"]] == sorted(scores.values(), reverse=True)
        for student in students:
            mine = await student.wait_for("game_over")
            assert mine["you"]["score"] == scores[student.last("joined")["player_id"]]
    finally:
        await disconnect_all(clients)


async def test_a_kick_closes_the_students_connection_on_the_other_worker(two_workers, db):
    """The host (and so the room's owner) on worker A, the student on worker B: the kick
    reaches B, which closes the student's socket; the other student plays on."""
    url_a, url_b, _ = two_workers
    clients: list[LiveClient] = []
    try:
        teacher, token = await factories.make_teacher_with_token(db)
        room = await factories.make_room(db, teacher, question_count=1, time_limit_ms=30_000)
        host = await connect_host(url_a, token, room["room_id"])
        clients.append(host)
        kicked = await connect_student(url_b, room["code"], "Leaving")
        staying = await connect_student(url_b, room["code"], "Staying")
        clients += [kicked, staying]
        await host.wait_for("lobby", predicate=lambda d: d["count"] == 2)
        player_id = kicked.last("joined")["player_id"]
        assert (await host.call("kick", {"player_id": player_id}))["ok"]
        await kicked.wait_for("kicked")
        for _ in range(100):  # closed by worker B, not by the client
            if not kicked.sio.connected:
                break
            await asyncio.sleep(0.05)
        assert not kicked.sio.connected
        assert (await host.call("start"))["ok"]
        question = await staying.wait_for("question")
        assert kicked.received["question"] == []
        answer = str(question["operand1"] * question["operand2"])
        ack = await staying.call("answer", {"index": 0, "answer": answer, "attempt_id": new_attempt()})
        assert ack["ok"] and ack["is_correct"]
    finally:
        await disconnect_all(clients)


async def published_events(pubsub, quiet_s: float = 0.5) -> list[str]:
    """The events of the Socket.IO emits published since the last call, once none came for
    `quiet_s`."""
    events = []
    loop = asyncio.get_running_loop()
    quiet_until = loop.time() + quiet_s
    while loop.time() < quiet_until:
        # None also for a subscription's confirmation: only the quiet time ends the reading.
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.05)
        if message is None:
            continue
        quiet_until = loop.time() + quiet_s
        body = json.loads(message["data"])
        if body.get("method") == "emit":
            events.append(body["event"])
    return events


async def test_a_room_uses_redis_for_its_broadcasts_only_once_a_client_is_on_another_worker(
        two_workers, redis_prefix, db):
    """While every connection of a room is on its owner, its broadcasts skip Redis; the first
    student who joins through the other worker gets every broadcast from then on."""
    url_a, url_b, redis = two_workers
    clients: list[LiveClient] = []
    pubsub = redis.pubsub()
    await pubsub.subscribe(socketio_channel(redis_prefix))
    try:
        teacher, token = await factories.make_teacher_with_token(db)
        room = await factories.make_room(db, teacher, question_count=1, time_limit_ms=30_000)
        host = await connect_host(url_a, token, room["room_id"])
        first = await connect_student(url_a, room["code"], "Here")
        clients += [host, first]
        await host.wait_for("lobby", predicate=lambda d: d["count"] == 1)
        assert await published_events(pubsub) == []
        elsewhere = await connect_student(url_b, room["code"], "There")
        clients.append(elsewhere)
        await host.wait_for("lobby", predicate=lambda d: d["count"] == 2)
        last = await connect_student(url_a, room["code"], "Late")
        clients.append(last)
        await elsewhere.wait_for("lobby", predicate=lambda d: d["count"] == 3)
        assert "lobby" in await published_events(pubsub)
        assert (await host.call("start"))["ok"]
        for student in (first, elsewhere, last):
            await student.wait_for("question")
        assert "question" in await published_events(pubsub)
    finally:
        await pubsub.aclose()
        await disconnect_all(clients)
