"""A school behind one address: `python -m bench.storm.school`.

Against a real `python -m server` (one worker, the machine's PostgreSQL and Redis), every
client from 127.0.0.1, over raw websockets (bench/storm/client.py, light enough to run a
thousand in this process):

1. joins: `--students` students join `--rooms` rooms, `--in-flight` at a time; the time it
   takes (joins a minute from one address) and every refusal by code;
2. a live game in one of those rooms, `--questions` questions, every student answering:
   the ack latencies, first alone (the baseline), then again while `--guessers` connections
   at a time guess wrong codes from the same address (the flood): p50/p99 of each, and the
   flood's answers by code (how many wrong codes were looked up, how many refused);
3. acknowledged = committed: the answer_attempts rows of the game's sessions against the
   acks.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import time
import uuid
from typing import Any

from bench.storm import servers, wire
from bench.storm.client import ConnectRefused, SocketClient, TransportFactory
from persistence.database import create_database
from tests.support import factories


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Student:
    def __init__(self) -> None:
        self.questions: asyncio.Queue[dict] = asyncio.Queue()
        self.client = SocketClient("/play", self._on_event)

    def _on_event(self, event: str, data: Any, _arrived: float) -> None:
        if event == "question":
            self.questions.put_nowait(data)


async def join_all(factory, url: str, codes: list[str], students: int, in_flight: int):
    refusals: collections.Counter[str] = collections.Counter()
    joined: list[tuple[int, Student]] = []
    gate = asyncio.Semaphore(in_flight)

    async def join(i: int) -> None:
        student = Student()
        async with gate:
            try:
                await student.client.connect(factory, url, {"code": codes[i % len(codes)],
                                                            "nickname": f"S{i}"})
            except ConnectRefused as refused:
                refusals[refused.code or "?"] += 1
                return
        joined.append((i % len(codes), student))

    started = time.perf_counter()
    await asyncio.gather(*(join(i) for i in range(students)))
    return time.perf_counter() - started, joined, refusals


async def play(host: SocketClient, students: list[Student], questions: int, first_index: int,
               acks: list[dict]) -> list[float]:
    latencies: list[float] = []
    for index in range(first_index, first_index + questions):
        reply = await host.emit("start" if index == 0 else "next")
        assert reply["ok"], reply

        async def answer(student: Student) -> None:
            question = await student.questions.get()
            right = str(question["operand1"] * question["operand2"])
            sent = time.perf_counter()
            ack = await student.client.emit("answer", {"index": question["index"], "answer": right,
                                                       "attempt_id": str(uuid.uuid4())})
            latencies.append(time.perf_counter() - sent)
            assert ack["ok"], ack
            acks.append(ack)

        await asyncio.gather(*(answer(s) for s in students))
        await asyncio.sleep(0.3)  # the close and its leaderboard go out
    return latencies


async def flood(factory, url: str, guessers: int, stop: asyncio.Event) -> collections.Counter[str]:
    answers: collections.Counter[str] = collections.Counter()

    async def guesser(n: int) -> None:
        code = 100_000 + n
        while not stop.is_set():
            client = SocketClient("/play", lambda *_: None)
            try:
                await client.connect(factory, url, {"code": f"{code:06d}x", "nickname": "G"})
                answers["joined"] += 1
                await client.close()
            except ConnectRefused as refused:
                answers[refused.code or "?"] += 1
                retry = (refused.data.get("data") or {}).get("retry_after_s")
                if retry is not None:
                    answers["retry_hint"] += 1
            code += guessers

    await asyncio.gather(*(guesser(n) for n in range(guessers)))
    return answers


async def run(args: argparse.Namespace) -> dict:
    server = await servers.start_real(args.postgres_url, args.redis_url)
    factory = TransportFactory("websockets")
    url = wire.websocket_url(server.url)
    db = create_database(server.database_url, pool_size=2)
    clients: list[SocketClient] = []
    try:
        teacher, token = await factories.make_teacher_with_token(db)
        rooms = [await factories.make_room(db, teacher, question_count=2 * args.questions,
                                           time_limit_ms=60_000) for _ in range(args.rooms)]
        seconds, joined, refusals = await join_all(factory, url, [r["code"] for r in rooms],
                                                   args.students, args.in_flight)
        clients += [s.client for _, s in joined]
        game_room = rooms[0]
        players = [s for room, s in joined if room == 0]
        host = SocketClient("/host", lambda *_: None)
        await host.connect(factory, url, {"token": token, "room_id": str(game_room["room_id"])})
        clients.append(host)
        acks: list[dict] = []
        alone = await play(host, players, args.questions, 0, acks)
        stop = asyncio.Event()
        flooding = asyncio.create_task(flood(factory, url, args.guessers, stop))
        await asyncio.sleep(2)  # the flood is under way, and past the limit
        flood_started = time.perf_counter()
        during = await play(host, players, args.questions, args.questions, acks)
        await asyncio.sleep(max(0.0, args.flood_seconds - 2 - (time.perf_counter() - flood_started)))
        stop.set()
        flood_answers = await flooding
        flood_seconds = time.perf_counter() - flood_started + 2
        committed = await servers.committed_attempts(server.database_url, [str(game_room["room_id"])])
        return {
            "students": args.students, "rooms": args.rooms, "in_flight": args.in_flight,
            "joined": len(joined), "join_seconds": round(seconds, 2),
            "joins_per_minute": round(len(joined) / seconds * 60),
            "join_refusals": dict(refusals),
            "game_players": len(players),
            "ack_p50_ms_alone": round(percentile(alone, 0.5) * 1000, 1),
            "ack_p99_ms_alone": round(percentile(alone, 0.99) * 1000, 1),
            "ack_p50_ms_flood": round(percentile(during, 0.5) * 1000, 1),
            "ack_p99_ms_flood": round(percentile(during, 0.99) * 1000, 1),
            "flood_seconds": round(flood_seconds, 1), "flood_answers": dict(flood_answers),
            "flood_refused_per_second": round(flood_answers["rate_limited"] / flood_seconds, 1),
            "acked": len(acks), "committed": committed,
        }
    finally:
        for client in clients:
            await client.close()
        await factory.aclose()
        await db.dispose()
        await servers.stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.storm.school",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--rooms", type=int, default=30)
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--guessers", type=int, default=20)
    parser.add_argument("--flood-seconds", type=float, default=30.0)
    parser.add_argument("--postgres-url", default=servers.LOCAL_POSTGRES)
    parser.add_argument("--redis-url", default=servers.LOCAL_REDIS)
    print(json.dumps(asyncio.run(run(parser.parse_args())), indent=1))


if __name__ == "__main__":
    main()
