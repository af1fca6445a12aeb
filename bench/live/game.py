"""A live game under load: answer ack latency (commit before ack) and question turnaround.

    python -m bench.live.game [--students 50,200] [--questions 5]

For each size: a throw-away database on the local PostgreSQL (BENCH_DATABASE_URL, else
postgresql://postgres@127.0.0.1:5432/postgres), the whole app on a local port with the local
Redis (BENCH_REDIS_URL, else redis://127.0.0.1:6379/0; fakeredis if it does not answer), a
host and N python-socketio clients (msgpack, websocket). Every student answers each question
as soon as it arrives. Reported: ack latency (answer sent → ack received, which includes the
group commit) median and p95, and turnaround (host's `start`/`next` ack → `question_closed`
at the host, i.e. broadcast + N answers committed + close). The clients run in the same
process as the server, on the same cores: the figures are an upper bound for the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid

from aiohttp.test_utils import TestServer

from persistence.migrations import migrate_async
from persistence.redis_client import create_redis, delete_prefix
from server.app import create_app
from tests.support import databases, factories
from tests.support.live_clients import LiveClient, connect_host, connect_student, live_settings


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def one_size(server_url: str, redis_url: str | None, students: int, questions: int) -> dict:
    from persistence.database import create_database

    name = f"mathrally_bench_{uuid.uuid4().hex[:8]}"
    url = await databases.create_database(server_url, name)
    prefix = f"mathrally_bench_{uuid.uuid4().hex[:8]}"
    await migrate_async(url)
    db = create_database(url, pool_size=4)
    server = TestServer(create_app(live_settings(url, redis_url, prefix)), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("/")).rstrip("/")
    clients: list[LiveClient] = []
    try:
        teacher, token = await factories.make_teacher_with_token(db)
        room = await factories.make_room(db, teacher, question_count=questions, time_limit_ms=60_000)
        host = await connect_host(base, token, room["room_id"])
        clients.append(host)
        for start in range(0, students, 25):  # connect in waves, as a class does
            clients.extend(await asyncio.gather(*(connect_student(base, room["code"], f"B{i}")
                                                  for i in range(start, min(students, start + 25)))))
        acks: list[float] = []
        turnarounds: list[float] = []

        async def answer(student: LiveClient, index: int) -> None:
            q = await student.wait_for("question", predicate=lambda d: d["index"] == index, within_s=120)
            sent = time.perf_counter()
            ack = await student.call("answer", {"index": index, "answer": str(q["operand1"] * q["operand2"]),
                                                "attempt_id": str(uuid.uuid4())})
            assert ack["ok"], ack
            acks.append(time.perf_counter() - sent)

        for index in range(questions):
            waiting = [asyncio.create_task(answer(s, index)) for s in clients[1:]]
            began = time.perf_counter()
            assert (await host.call("start" if index == 0 else "next"))["ok"]
            await host.wait_for("question_closed", predicate=lambda d, i=index: d["index"] == i, within_s=120)
            turnarounds.append(time.perf_counter() - began)
            await asyncio.gather(*waiting)
        return {"students": students, "questions": questions, "answers": len(acks),
                "ack_ms_median": round(statistics.median(acks) * 1000, 1),
                "ack_ms_p95": round(percentile(acks, 95) * 1000, 1),
                "turnaround_ms_median": round(statistics.median(turnarounds) * 1000, 1),
                "turnaround_ms_max": round(max(turnarounds) * 1000, 1)}
    finally:
        for client in clients:
            if client.sio.connected:
                await client.disconnect()
        await server.close()
        await db.dispose()
        redis = create_redis(redis_url)
        await delete_prefix(redis, prefix)
        await redis.aclose()
        await databases.drop_database(server_url, name)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", default="50,200")
    parser.add_argument("--questions", type=int, default=5)
    args = parser.parse_args()
    server_url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    from tests.support.services import redis_url

    redis = os.environ.get("BENCH_REDIS_URL") or redis_url()
    for size in (int(s) for s in args.students.split(",")):
        print(json.dumps(await one_size(server_url, redis, size, args.questions)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
