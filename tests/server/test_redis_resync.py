"""Redis restarts while a question is opened, and the room moves to the other worker as Redis
comes back: every student, on either worker, is shown that question. Real processes: two
`python -m server` workers on a Redis of the test's own, python-socketio students half on
each worker, the teacher's console on the first, the projector on the second.

The question is opened while Redis is away, so its broadcast is lost to every worker's
clients (python-socketio publishes it, fails, and gives up); then the room's lease is given
to the second worker as Redis comes back (as when that worker asks for it first), and the
teacher's console asking for the state makes it take the room over. Nothing else happens in
the room: the students see the question only if their worker re-sends it."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from rooms.cluster import owner_key, worker_channel
from tests.support import factories
from tests.support.live_clients import LiveClient, connect_host, connect_screen, connect_student, new_attempt
from tests.support.private_services import PrivateRedis
from tests.support.workers import read_logs, start_worker, stop_workers

pytestmark = pytest.mark.slow
STUDENTS_EACH = 6
TIME_LIMIT_MS = 60_000  # far longer than the test: the question must not close by itself
SHOWN_WITHIN_S = 15.0


@pytest.fixture
async def workers_and_redis(database_url, redis_prefix):
    redis = await PrivateRedis.create()
    logs = Path(tempfile.mkdtemp(prefix="mathrally-resync-"))
    workers = [await start_worker(database_url, redis.url, redis_prefix, logs) for _ in range(2)]
    try:
        yield redis, workers, logs
    finally:
        slow = await stop_workers([proc for proc, _ in workers])
        await redis.stop()
        worker_logs = read_logs(logs)
        shutil.rmtree(logs, ignore_errors=True)
        assert not slow, worker_logs


async def worker_ids(redis_url: str, prefix: str, room_id: str) -> tuple[str, str]:
    """(the room's owner, the other worker), as Redis names them: the lease, and the
    channels the workers listen on."""
    client = Redis.from_url(redis_url)
    try:
        owner = (await client.get(owner_key(prefix, room_id))).decode().rsplit(":", 1)[0]
        channels = {c.decode() for c in await client.pubsub_channels(worker_channel(prefix, "*"))}
    finally:
        await client.aclose()
    others = {c.rsplit(":", 1)[1] for c in channels} - {owner}
    assert len(others) == 1, channels
    return owner, others.pop()


async def give_lease(redis_url: str, prefix: str, room_id: str, worker: str) -> None:
    client = Redis.from_url(redis_url)
    try:
        await client.set(owner_key(prefix, room_id), f"{worker}:{time.time_ns() // 1_000_000}", px=10_000)
    finally:
        await client.aclose()


async def until_ok(client: LiveClient, event: str, within_s: float = 15.0) -> dict:
    """`event`'s ack once it is ok (refused `unavailable` while the workers find each other again)."""
    deadline = time.monotonic() + within_s
    while True:
        ack = await client.call(event)
        if ack.get("ok") or time.monotonic() > deadline:
            return ack
        await asyncio.sleep(0.2)


async def owner_in_record(db, room_id: str) -> str | None:
    async with db.engine.connect() as conn:
        return await conn.scalar(text("SELECT owner_worker FROM rooms WHERE id = :r"), {"r": room_id})


def shows_question(client: LiveClient, index: int) -> bool:
    return any(q["index"] == index for q in client.received["question"]) or any(
        s.get("phase") == "question" and s.get("index") == index and s.get("question")
        for s in client.received["state"])


async def test_every_student_is_shown_the_question_opened_while_redis_was_away(
        workers_and_redis, db, database_url, redis_prefix):
    redis, ((_, url_a), (_, url_b)), logs = workers_and_redis
    teacher, token = await factories.make_teacher_with_token(db)
    room = await factories.make_room(db, teacher, question_count=3, time_limit_ms=TIME_LIMIT_MS)
    room_id = str(room["room_id"])
    host = await connect_host(url_a, token, room_id)  # worker A claims the room: its owner
    clients = [host]
    try:
        screen = await connect_screen(url_b, room["code"], room["screen_key"])
        clients.append(screen)
        students = []
        for i in range(2 * STUDENTS_EACH):
            students.append(await connect_student((url_a, url_b)[i % 2], room["code"], f"Kid{i}"))
            clients.append(students[-1])
        assert (await host.call("start"))["ok"]
        for student in students:
            await student.wait_for("question", predicate=lambda q: q["index"] == 0)
            ack = await student.call("answer", {"index": 0, "answer": "1", "attempt_id": new_attempt()})
            assert ack["ok"], ack
        await host.wait_for("question_closed", predicate=lambda c: c["index"] == 0)
        _, other = await worker_ids(redis.url, redis_prefix, room_id)

        await redis.stop()
        # Worker A still runs the room: it opens question 1, and the broadcast is lost.
        opened = await host.call("next")
        assert opened["ok"] and opened["index"] == 1, opened
        await asyncio.sleep(2.0)
        await redis.start()  # empty, 3 s or so after it went away
        back = time.monotonic()
        # Worker A lets the room go when it sees the lease (within half a second of reaching
        # Redis again); the teacher's console asking for the state then makes worker B take
        # it over. The lease is given again until then: A may renew it first.
        for _ in range(60):
            await give_lease(redis.url, redis_prefix, room_id, other)
            state = await until_ok(host, "state")
            assert state.get("ok") and state["phase"] == "question" and state["index"] == 1, state
            if await owner_in_record(db, room_id) == other:
                break
            await asyncio.sleep(0.25)
        assert await owner_in_record(db, room_id) == other, read_logs(logs)

        waiting = [screen, *students]
        while waiting and time.monotonic() - back < SHOWN_WITHIN_S:
            waiting = [c for c in waiting if not shows_question(c, 1)]
            await asyncio.sleep(0.1)
        stuck = [c.base_url for c in waiting]
        assert not stuck, f"{len(stuck)} not shown question 1 {SHOWN_WITHIN_S} s after Redis was back: " \
                          f"{stuck}\n{read_logs(logs)}"
        shown_s = time.monotonic() - back

        # And the game goes on: every student answers it, and it closes with all of them.
        for student in students:
            answer = {"index": 1, "answer": "1", "attempt_id": new_attempt()}
            for _ in range(20):  # refused `unavailable` while the room settles: sent again
                ack = await student.call("answer", answer)
                if ack["ok"] or ack["error"]["code"] != "unavailable":
                    break
                await asyncio.sleep(0.25)
            assert ack["ok"], ack
        closed = await screen.wait_for("question_closed", predicate=lambda c: c["index"] == 1, within_s=15)
        assert closed["answered"] == len(students)
        print(f"\nRESYNC every student shown question 1 {shown_s:.2f} s after Redis was back")
    finally:
        for client in clients:
            if client.sio.connected:
                await client.disconnect()
