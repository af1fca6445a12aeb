"""`python -m bench.crosscheck`: a second load generator, to check bench.storm's figures.

It shares no client code with bench.storm: its own Engine.IO/Socket.IO framing, the
`websockets` library instead of aiohttp's client, its own students and hosts, its own clock
readings and percentiles, and it reads the server's CPU and memory from /proc itself. Only the
server is started the way bench.storm starts it (`bench.storm.servers`: its own database and
Redis prefix, dropped afterwards), or pass `--url URL --pid PID` for a server of your own.

The scenario is bench.storm's `rooms100x30` by default: R rooms of S guest students, each room
a teacher's (sign-up, login, POST /api/rooms) with a host and a screen; students join one of
each room in turn, so every room fills at once (`--join-order rooms`: room by room, which sends
far fewer lobby updates); when all have joined,
every host starts; each student answers each question after a uniform random delay within the
spread (80 % right) and resends an answer refused as retryable, with the same attempt_id; the
host moves on when the screen shows the closing leaderboard and ends after the last question.

    python -m bench.crosscheck                      # 100 × 30, 3 questions, answers over 5 s
    python -m bench.crosscheck --rooms 1 --students 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import sys
import time
import uuid
from collections import Counter
from typing import Any

import aiohttp
import asyncpg
import msgpack
from websockets.asyncio.client import ClientConnection, connect

RETRYABLE = {"storage_unavailable": 0.5, "unavailable": 0.5, "rate_limited": 1.0}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def proc_cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def proc_rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Socket:
    """One Socket.IO client on one namespace over one websocket (msgpack serializer)."""

    def __init__(self, namespace: str, on_event: Any) -> None:
        self.namespace = namespace
        self.on_event = on_event
        self.ws: ClientConnection | None = None
        self._acks: dict[int, asyncio.Future[Any]] = {}
        self._next_id = 0
        self._reader: asyncio.Task[None] | None = None

    async def open(self, url: str, auth: dict[str, Any], local_address: str | None = None) -> None:
        extra: dict[str, Any] = {"local_addr": (local_address, 0)} if local_address else {}
        self.ws = await connect(url, ping_interval=None, max_size=2**20, compression=None, **extra)
        handshake = await self.ws.recv()
        if not (isinstance(handshake, str) and handshake.startswith("0")):
            raise RuntimeError(f"no Engine.IO open: {handshake!r}")
        await self.ws.send(msgpack.packb({"type": 0, "nsp": self.namespace, "data": auth}))
        while True:
            frame = await self.ws.recv()
            if isinstance(frame, str):
                if frame == "2":
                    await self.ws.send("3")
                continue
            packet = msgpack.unpackb(frame)
            if packet.get("type") == 0:
                break
            if packet.get("type") == 4:
                raise RuntimeError(f"refused: {packet.get('data')}")
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for frame in self.ws:
                if isinstance(frame, str):
                    if frame == "2":
                        await self.ws.send("3")
                    continue
                packet = msgpack.unpackb(frame)
                kind, data = packet.get("type"), packet.get("data")
                if kind == 2 and isinstance(data, list) and data:
                    self.on_event(data[0], data[1] if len(data) > 1 else None)
                elif kind == 3:
                    future = self._acks.pop(packet.get("id"), None)
                    if future is not None and not future.done():
                        future.set_result(data[0] if data else None)
        except Exception:
            pass
        for future in self._acks.values():
            if not future.done():
                future.set_exception(ConnectionError("connection closed"))

    async def call(self, event: str, payload: Any = None, timeout_s: float = 30.0) -> Any:
        assert self.ws is not None
        self._next_id += 1
        ack_id = self._next_id
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = future
        await self.ws.send(msgpack.packb({"type": 2, "nsp": self.namespace, "id": ack_id,
                                          "data": [event, payload] if payload is not None else [event]}))
        return await asyncio.wait_for(future, timeout_s)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self.ws is not None:
            await self.ws.close()


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.acked = 0
        self.sent = 0
        self.errors: Counter[str] = Counter()
        self.lost = 0
        self.resends = 0


class Student:
    def __init__(self, room: Room, number: int, rng: random.Random) -> None:
        self.room, self.number, self.rng = room, number, rng
        self.socket = Socket("/play", self.on_event)
        self.tasks: set[asyncio.Task[None]] = set()

    def on_event(self, event: str, data: Any) -> None:
        if event == "question":
            delay = self.rng.uniform(0, self.room.args.spread_ms / 1000)
            asyncio.get_running_loop().call_later(delay, self._answer_soon, data)

    def _answer_soon(self, question: dict[str, Any]) -> None:
        task = asyncio.create_task(self.answer(question))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def answer(self, question: dict[str, Any]) -> None:
        a, b = question["operand1"], question["operand2"]
        right = {"+": a + b, "-": a - b, "×": a * b, "÷": a / b if b else 0}[question["operation"]]
        value = right if self.rng.random() < 0.8 else right + 1
        text = str(int(value)) if float(value).is_integer() else repr(value)
        payload = {"index": question["index"], "answer": text, "attempt_id": str(uuid.uuid4())}
        tally = self.room.tally
        tally.sent += 1
        started = time.perf_counter()
        while True:
            try:
                ack = await self.socket.call("answer", payload)
            except (TimeoutError, ConnectionError):
                tally.lost += 1
                return
            code = None if ack.get("ok") else (ack.get("error") or {}).get("code")
            if code not in RETRYABLE:
                break
            tally.resends += 1
            await asyncio.sleep((ack["error"].get("retry_after_ms") or 0) / 1000 or RETRYABLE[code])
        tally.latencies.append(time.perf_counter() - started)
        if code is None:
            tally.acked += 1
        else:
            tally.errors[str(code)] += 1


class Room:
    def __init__(self, number: int, args: argparse.Namespace, tally: Tally) -> None:
        self.number, self.args, self.tally = number, args, tally
        self.room_id = self.code = self.screen_key = self.token = ""
        self.host = Socket("/host", lambda event, data: None)
        self.screen = Socket("/screen", self.on_screen)
        self.boards: dict[int, asyncio.Event] = {}
        self.over = asyncio.Event()
        rng = random.Random(number * 7_919 + 3)
        self.students = [Student(self, i, random.Random(rng.random())) for i in range(args.students)]

    def on_screen(self, event: str, data: Any) -> None:
        if event == "leaderboard" and not data.get("live"):
            self.boards.setdefault(data["index"], asyncio.Event()).set()
        elif event == "game_over":
            self.over.set()

    async def play(self) -> None:
        if self.args.stagger_ms:
            await asyncio.sleep(self.args.stagger_ms / 1000 * self.number / self.args.rooms)
        for index in range(self.args.questions):
            ack = await self.host.call("start" if index == 0 else "next")
            if not ack.get("ok"):
                raise RuntimeError(f"room {self.number}: the host was refused: {ack}")
            await asyncio.wait_for(self.boards.setdefault(index, asyncio.Event()).wait(), 90)
        await self.host.call("next")
        await asyncio.wait_for(self.over.wait(), 60)


async def set_up_rooms(base: str, rooms: list[Room], args: argparse.Namespace) -> None:
    async with aiohttp.ClientSession(base) as http:
        for first in range(0, len(rooms), 25):  # a teacher may open 50 rooms a day
            name = f"check{uuid.uuid4().hex[:10]}"
            password = uuid.uuid4().hex
            await (await http.post("/api/teachers", json={
                "username": name, "email": f"{name}@example.org", "password": password})).release()
            async with http.post("/api/login", json={"username": name, "password": password}) as r:
                token = (await r.json())["token"]
            for room in rooms[first:first + 25]:
                async with http.post("/api/rooms", headers={"Authorization": f"Bearer {token}"}, json={
                        "title": "crosscheck", "operation": "×", "min_operand": 2, "max_operand": 12,
                        "question_count": args.questions, "time_limit_ms": args.time_limit_ms}) as r:
                    if r.status != 201:
                        raise RuntimeError(f"POST /api/rooms: {r.status} {await r.text()}")
                    made = await r.json()
                room.room_id, room.code, room.screen_key = made["room_id"], made["code"], made["screen_key"]
                room.token = token


def percentile_ms(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1)


async def storm(base: str, pid: int, database_url: str | None, args: argparse.Namespace) -> dict[str, Any]:
    tally = Tally()
    rooms = [Room(n, args, tally) for n in range(args.rooms)]
    await set_up_rooms(base, rooms, args)
    ws_url = base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    for room in rooms:
        await room.host.open(ws_url, {"token": room.token, "room_id": room.room_id})
        await room.screen.open(ws_url, {"code": room.code, "screen_key": room.screen_key})
    await asyncio.sleep(0.5)
    rss_before, join_cpu_before = proc_rss_bytes(pid), proc_cpu_s(pid)
    gate = asyncio.Semaphore(200)
    refused: Counter[str] = Counter()

    async def join(room: Room, student: Student, serial: int) -> None:
        # Distinct loopback sources, 100 students an address, as a school's classes behind NATs.
        n = serial // 100
        async with gate:
            try:
                await student.socket.open(
                    ws_url, {"code": room.code, "nickname": f"c{room.number}x{student.number}"},
                    f"127.{20 + n // 62500}.{n // 250 % 250 + 1}.{n % 250 + 1}")
            except Exception as exc:
                refused[type(exc).__name__] += 1

    joins_started = time.perf_counter()
    if args.join_order == "interleaved":  # every room fills at once, as bench.storm's rooms do
        pairs = [(room, room.students[i]) for i in range(args.students) for room in rooms]
    else:
        pairs = [(room, student) for room in rooms for student in room.students]
    await asyncio.gather(*(join(room, student, i) for i, (room, student) in enumerate(pairs)))
    joins_s = time.perf_counter() - joins_started
    join_cpu_s = proc_cpu_s(pid) - join_cpu_before
    await asyncio.sleep(1.0)
    rss_after, cpu_before = proc_rss_bytes(pid), proc_cpu_s(pid)
    game_started = time.perf_counter()
    await asyncio.gather(*(room.play() for room in rooms))
    for student in (s for room in rooms for s in room.students):
        if student.tasks:
            await asyncio.gather(*student.tasks, return_exceptions=True)
    cpu_s = proc_cpu_s(pid) - cpu_before
    game_s = time.perf_counter() - game_started
    connected = len(pairs) - sum(refused.values())
    committed = None
    if database_url:
        conn = await asyncpg.connect(database_url)
        try:
            committed = await conn.fetchval(
                "SELECT count(*) FROM answer_attempts a JOIN practice_sessions s ON s.id = a.session_id "
                "WHERE s.mode = 'live' AND s.config->>'room_id' = ANY($1::text[])",
                [room.room_id for room in rooms])
        finally:
            await conn.close()
    for room in rooms:
        for socket in [room.host, room.screen, *(s.socket for s in room.students)]:
            await socket.close()
    lat = tally.latencies
    return {
        "generator": "bench.crosscheck (websockets)",
        "rooms": args.rooms, "students_per_room": args.students, "questions": args.questions,
        "join_order": args.join_order,
        "connected": connected, "refused": dict(refused),
        "connect_s": round(joins_s, 2), "connect_rate_per_s": round(connected / joins_s, 1),
        "join_cpu_ms_per_student": round(join_cpu_s * 1000 / max(connected, 1), 2),
        "answers_sent": tally.sent, "acked": tally.acked, "committed": committed,
        "acked_equals_committed": None if committed is None else committed == tally.acked,
        "errors": dict(tally.errors), "lost": tally.lost, "resends": tally.resends,
        "ack_ms": {"p50": percentile_ms(lat, 0.5), "p90": percentile_ms(lat, 0.9),
                   "p99": percentile_ms(lat, 0.99), "max": percentile_ms(lat, 1.0),
                   "mean": round(statistics.fmean(lat) * 1000, 1) if lat else None},
        "server_cpu_s_per_1000_answers": round(cpu_s * 1000 / tally.acked, 3) if tally.acked else None,
        "server_rss_per_student_kb": round((rss_after - rss_before) / max(connected, 1) / 1024, 1),
        "game_s": round(game_s, 1),
        "load_avg_1m_after": os.getloadavg()[0],
    }


async def main_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    for round_number in range(1, args.rounds + 1):
        if args.url:
            result = await storm(args.url, args.pid, args.database_url, args)
        else:
            from bench.storm import servers  # starting the server only; no measuring code

            server = await servers.start_real()
            try:
                result = await storm(server.url, server.pid, server.database_url, args)
            finally:
                await servers.stop(server)
        result["round"] = round_number
        print(json.dumps(result, ensure_ascii=False), file=sys.stderr, flush=True)
        results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.crosscheck", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--students", type=int, default=30, help="per room")
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--spread-ms", type=int, default=5000)
    parser.add_argument("--time-limit-ms", type=int, default=10_000)
    parser.add_argument("--stagger-ms", type=int, default=0, help="rooms start over this window")
    parser.add_argument("--join-order", choices=["interleaved", "rooms"], default="interleaved",
                        help="students join room by room, or one of each room in turn (default)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--url", help="a running server (else one is started)")
    parser.add_argument("--pid", type=int, help="the running server's process id (with --url)")
    parser.add_argument("--database-url", help="the running server's database, to count rows")
    args = parser.parse_args(argv)
    if args.url and not args.pid:
        parser.error("--url needs --pid")
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    import uvloop

    results = uvloop.run(main_async(args))
    json.dump(results, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0 if all(r["lost"] == 0 and r["acked_equals_committed"] is not False for r in results) else 1
