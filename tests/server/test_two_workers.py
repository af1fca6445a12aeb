"""Two server processes on one Redis and one database: the host on one, the students split
over both. The game plays to the end and the results agree everywhere."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text

from rooms.leaderboard import Leaderboards
from tests.support import factories
from tests.support.live_clients import SECRET, LiveClient, connect_host, connect_student, new_attempt

ROOT = Path(__file__).resolve().parents[2]
STUDENTS = 10
QUESTIONS = 3

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def shared_redis_url(redis_url):
    """The test Redis; with TEST_REDIS_URL=fake, a private redis-server (processes cannot
    share an in-process fakeredis)."""
    if redis_url:
        yield redis_url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("two workers need a Redis server: none configured and no redis-server binary")
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        stdout=subprocess.DEVNULL)
    await asyncio.sleep(0.3)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    await proc.wait()


def read_logs(logs: Path) -> str:
    return "\n".join(p.read_text()[-3000:] for p in logs.glob("*.log"))


async def start_worker(database_url: str, redis_url: str, prefix: str, logs: Path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "REDIS_PREFIX": prefix,
           "SECRET_KEY": SECRET, "PORT": str(port), "HOST": "127.0.0.1", "MIGRATE_ON_START": "0",
           "BATCH_WINDOW_MS": "2"}
    with (logs / f"worker-{port}.log").open("w") as log_file:  # the child keeps its own copy
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "server", cwd=ROOT, env=env,
                                                    stdout=log_file, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        for _ in range(150):
            try:
                async with http.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return proc, url
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    proc.terminate()
    await proc.wait()
    raise AssertionError(f"worker did not start: {read_logs(logs)}")


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
        for proc, _ in workers:
            proc.terminate()
        slow_to_stop = []
        for proc, _ in workers:
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
                slow_to_stop.append(proc.pid)
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
                attempt = new_attempt()
                raw = right if (i + index) % 3 else "-1"
                ack = await student.call("answer", {"index": index, "answer": raw, "attempt_id": attempt})
                retry = await student.call("answer", {"index": index, "answer": raw, "attempt_id": attempt})
                assert ack["ok"] and retry["duplicate"] and retry["points"] == ack["points"], (ack, retry)
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
