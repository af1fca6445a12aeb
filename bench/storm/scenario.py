"""One classroom storm: R rooms × S students, Q questions, measured at the client.

Each room is set up the way a teacher does it (HTTP: account, login, POST /api/rooms), gets a
host and a screen connection, then S students join /play. When every room is full, every host
starts its game: all at once, or (`stagger_ms`) each at its own moment within that window and
pausing `pause_ms` (a random share of it) on each leaderboard, as the classrooms of a school
day do. Each student answers each `question` after a random delay within the answer window,
right with probability `correct_share`, and a share of students re-send the same attempt_id
shortly after (a client that gave up on its ack). An answer refused with a code that says
"send it again" is sent again with the same attempt_id until it is acknowledged, as the
student's page does: a refused answer may have been stored after all (its COMMIT's reply was
lost), and only the resend's ack says so. The host advances when its screen shows the
leaderboard, and ends the game after the last question.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.storm.client import ConnectionLost, ConnectRefused, ConnectTimeout, SocketClient, TransportFactory
from bench.storm.wire import websocket_url

ACK_TIMEOUT_S = 30.0
# A retry goes out this long after the first send, without waiting for the first ack.
RETRY_DELAY_S = (0.0, 0.02)
# Refusals that mean "not now, send the same answer again" (docs/protocol.md), and the wait
# before sending it again when the refusal names none (`retry_after_ms`): the page's.
RESEND_AFTER_S = {"storage_unavailable": 0.5, "unavailable": 0.5, "rate_limited": 1.0}


@dataclass(frozen=True)
class Scenario:
    name: str
    rooms: int
    students: int  # per room
    questions: int
    spread_ms: int  # answers are spread uniformly over this window after a question arrives
    time_limit_ms: int = 10_000
    correct_share: float = 0.8
    retry_share: float = 0.05
    connect_concurrency: int = 200
    # Students of a room share source addresses, this many per address (a class behind one NAT);
    # servers limit joins per address, and 127.0.0.0/8 gives the generator plenty of them.
    students_per_address: int = 100
    operation: str = "×"
    seed: int = 1
    # A school day: the rooms start at moments spread evenly over this window, and a host
    # waits up to `pause_ms` (uniformly at random) on each leaderboard before going on.
    stagger_ms: int = 0
    pause_ms: int = 0

    @property
    def total_students(self) -> int:
        return self.rooms * self.students


@dataclass
class Measurements:
    """Everything the clients observe; plain counters and lists, read by bench/storm/report.py."""

    connect_started: float = 0.0
    connect_finished: float = 0.0
    connected: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    connect_failures: Counter[str] = field(default_factory=Counter)
    answers_sent: int = 0
    # Answers (attempt_ids) acknowledged ok, by the first or any later send: each must be one
    # committed row. A resend after a refusal may be the one acked, as a duplicate, when the
    # refused send was stored after all.
    acked_unique: int = 0
    acked_duplicate: int = 0  # ok acks with duplicate true (the deliberate re-sends' among them)
    ack_errors: Counter[str] = field(default_factory=Counter)
    resends: int = 0  # sends again after a retryable refusal
    lost: int = 0  # never acknowledged ok nor refused for good (timeout or connection lost)
    retries_sent: int = 0
    retry_mismatches: int = 0  # a retry whose ack disagrees with the first, or two non-duplicates
    ack_latency_s: list[float] = field(default_factory=list)
    # per (room, question index)
    question_arrivals: dict[tuple[int, int], list[float]] = field(default_factory=lambda: defaultdict(list))
    last_ack: dict[tuple[int, int], float] = field(default_factory=dict)
    first_send: dict[int, float] = field(default_factory=dict)  # per index, across rooms
    last_ack_by_index: dict[int, float] = field(default_factory=dict)
    screen_closed: dict[tuple[int, int], float] = field(default_factory=dict)
    screen_leaderboard: dict[tuple[int, int], float] = field(default_factory=dict)
    game_errors: list[str] = field(default_factory=list)


def correct_answer(question: dict[str, Any]) -> float:
    """The answer a student works out from the operands (a `question` never carries it)."""
    apply = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "×": lambda a, b: a * b,
             "÷": lambda a, b: a / b}
    value = apply[question["operation"]](question["operand1"], question["operand2"])
    if question.get("operation2") and question.get("operand3") is not None:
        value = apply[question["operation2"]](value, question["operand3"])
    return value


def format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def retry_acks_agree(first: dict[str, Any], second: dict[str, Any]) -> bool:
    """Two acks of one attempt_id: both accepted, at most one as new (none when a refused send
    was stored after all and both were resent), with the same result; or both refused with
    the same code (an answer too late is too late however often it is sent)."""
    if first.get("ok") and second.get("ok"):
        new = [a for a in (first, second) if not a.get("duplicate")]
        results = {(a.get("is_correct"), a.get("points"), a.get("score")) for a in (first, second)}
        return len(new) <= 1 and len(results) == 1
    if not first.get("ok") and not second.get("ok"):
        return (first.get("error") or {}).get("code") == (second.get("error") or {}).get("code")
    return False


class Student:
    __slots__ = ("client", "index", "m", "rng", "room", "scenario", "tasks")

    def __init__(self, room: RoomRun, index: int, rng: random.Random) -> None:
        self.room = room
        self.index = index
        self.scenario = room.scenario
        self.m = room.m
        self.rng = rng
        self.tasks = room.tasks
        self.client = SocketClient("/play", self.on_event)

    def on_event(self, event: str, data: Any, arrived: float) -> None:
        if event == "question":
            key = (self.room.number, data["index"])
            self.m.question_arrivals[key].append(arrived)
            delay = self.rng.uniform(0, self.scenario.spread_ms / 1000) if self.scenario.spread_ms else 0
            loop = asyncio.get_running_loop()
            if delay:
                loop.call_later(delay, self._start_answer, data)
            else:
                self._start_answer(data)

    def _start_answer(self, question: dict[str, Any]) -> None:
        task = asyncio.ensure_future(self.answer(question))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def answer(self, question: dict[str, Any]) -> None:
        index = question["index"]
        right = correct_answer(question)
        value = right if self.rng.random() < self.scenario.correct_share else right + 1
        payload = {"index": index, "answer": format_number(value), "attempt_id": str(uuid.uuid4()),
                   "input_method": "keyboard"}
        m = self.m
        m.answers_sent += 1
        started = time.perf_counter()
        m.first_send.setdefault(index, started)
        retry = None
        if self.rng.random() < self.scenario.retry_share:
            retry = asyncio.ensure_future(self._retry(payload))
        ack = await self._send_until_settled(payload)
        finished = time.perf_counter()
        acked = ack is not None and bool(ack.get("ok"))
        if ack is not None:
            m.ack_latency_s.append(finished - started)
            key = (self.room.number, index)
            m.last_ack[key] = max(m.last_ack.get(key, 0.0), finished)
            m.last_ack_by_index[index] = max(m.last_ack_by_index.get(index, 0.0), finished)
        if retry is not None:
            second = await retry
            acked = acked or (second is not None and bool(second.get("ok")))
            if ack is not None and second is not None and not retry_acks_agree(ack, second):
                m.retry_mismatches += 1
        if acked:
            m.acked_unique += 1

    async def _retry(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        await asyncio.sleep(self.rng.uniform(*RETRY_DELAY_S))
        self.m.retries_sent += 1
        return await self._send_until_settled(payload)

    async def _send_until_settled(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The answer's ack, sent again after each retryable refusal (None: no ack came)."""
        deadline = time.monotonic() + ACK_TIMEOUT_S
        while True:
            ack = await self._emit(payload)
            error = {} if ack is None or ack.get("ok") else (ack.get("error") or {})
            if error.get("code") not in RESEND_AFTER_S or time.monotonic() > deadline:
                return ack
            self.m.resends += 1
            wait_ms = error.get("retry_after_ms")
            await asyncio.sleep(wait_ms / 1000 if isinstance(wait_ms, int)
                                else RESEND_AFTER_S[error["code"]])

    async def _emit(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        m = self.m
        try:
            async with asyncio.timeout(ACK_TIMEOUT_S):
                ack = await self.client.emit("answer", payload)
        except (TimeoutError, ConnectionLost, OSError):
            m.lost += 1
            return None
        if not isinstance(ack, dict):
            m.ack_errors["malformed_ack"] += 1
            return None
        if ack.get("ok"):
            if ack.get("duplicate"):
                m.acked_duplicate += 1
        else:
            m.ack_errors[str((ack.get("error") or {}).get("code"))] += 1
        return ack


class RoomRun:
    def __init__(self, number: int, scenario: Scenario, m: Measurements, tasks: set[asyncio.Future[Any]]):
        self.number = number
        self.scenario = scenario
        self.m = m
        self.tasks = tasks
        self.room_id = ""
        self.code = ""
        self.screen_key = ""
        self.token = ""  # the bearer token of the room's teacher
        self.host = SocketClient("/host", self._on_host_event)
        self.screen = SocketClient("/screen", self._on_screen_event)
        self.leaderboards: dict[int, asyncio.Event] = defaultdict(asyncio.Event)
        self.game_over = asyncio.Event()
        rng = random.Random(scenario.seed * 100_003 + number)
        self.students = [Student(self, i, random.Random(rng.random())) for i in range(scenario.students)]

    def _on_host_event(self, event: str, data: Any, arrived: float) -> None:
        pass  # the host drives; what it sees is what the screen sees

    def _on_screen_event(self, event: str, data: Any, arrived: float) -> None:
        if event == "question_closed":
            self.m.screen_closed.setdefault((self.number, data["index"]), arrived)
        elif event == "leaderboard" and not data.get("live"):
            # Live boards (while answers arrive) are not the close's: the latency measured
            # and the host's cue to advance are the board that follows question_closed.
            self.m.screen_leaderboard.setdefault((self.number, data["index"]), arrived)
            self.leaderboards[data["index"]].set()
        elif event == "game_over":
            self.game_over.set()

    async def play(self) -> None:
        """Start, advance after each leaderboard, end after the last question."""
        scenario = self.scenario
        wait_s = scenario.time_limit_ms / 1000 + 60
        pause = random.Random(scenario.seed * 7_919 + self.number)
        if scenario.stagger_ms and scenario.rooms > 1:
            await asyncio.sleep(scenario.stagger_ms / 1000 * self.number / scenario.rooms)
        for index in range(self.scenario.questions):
            if index and scenario.pause_ms:
                await asyncio.sleep(pause.uniform(0, scenario.pause_ms / 1000))
            ack = await self.host.emit("start" if index == 0 else "next")
            if not (isinstance(ack, dict) and ack.get("ok")):
                self.m.game_errors.append(f"room {self.number}: host {'start' if index == 0 else 'next'}"
                                          f" refused: {ack}")
                return
            try:
                async with asyncio.timeout(wait_s):
                    await self.leaderboards[index].wait()
            except TimeoutError:
                self.m.game_errors.append(f"room {self.number}: no leaderboard for question {index}")
                return
        ack = await self.host.emit("next")
        if not (isinstance(ack, dict) and ack.get("ok")):
            ack = await self.host.emit("end")
        try:
            async with asyncio.timeout(30):
                await self.game_over.wait()
        except TimeoutError:
            self.m.game_errors.append(f"room {self.number}: no game_over (last host ack {ack})")


# A teacher may open at most 50 rooms a day; 100 classrooms are several teachers anyway.
ROOMS_PER_TEACHER = 25


async def create_rooms(base_url: str, rooms: list[RoomRun], scenario: Scenario) -> None:
    """Teachers (sign-up, login), one POST /api/rooms per room, as a teacher does it; each room
    keeps its teacher's token for its host."""
    async with aiohttp.ClientSession(base_url) as http:
        limit = asyncio.Semaphore(20)
        for first in range(0, len(rooms), ROOMS_PER_TEACHER):
            group = rooms[first:first + ROOMS_PER_TEACHER]
            token = await _teacher_token(http)
            await asyncio.gather(*(_create_room(http, room, token, scenario, limit) for room in group))


async def _teacher_token(http: aiohttp.ClientSession) -> str:
    suffix = uuid.uuid4().hex[:8]
    teacher = {"username": f"bench{suffix}", "email": f"bench{suffix}@example.org",
               "password": f"storm-{uuid.uuid4().hex}"}
    async with http.post("/api/teachers", json=teacher) as response:
        if response.status != 201:
            raise RuntimeError(f"POST /api/teachers: {response.status} {await response.text()}")
    async with http.post("/api/login", json={"username": teacher["username"],
                                             "password": teacher["password"]}) as response:
        if response.status != 200:
            raise RuntimeError(f"POST /api/login: {response.status} {await response.text()}")
        return (await response.json())["token"]


async def _create_room(http: aiohttp.ClientSession, room: RoomRun, token: str, scenario: Scenario,
                       limit: asyncio.Semaphore) -> None:
    body = {"title": "storm", "operation": scenario.operation, "min_operand": 2, "max_operand": 12,
            "question_count": scenario.questions, "time_limit_ms": scenario.time_limit_ms}
    async with limit, http.post("/api/rooms", json=body,
                                headers={"Authorization": f"Bearer {token}"}) as response:
        if response.status != 201:
            raise RuntimeError(f"POST /api/rooms: {response.status} {await response.text()}")
        created = await response.json()
    room.room_id, room.code, room.screen_key = created["room_id"], created["code"], created["screen_key"]
    room.token = token


async def connect_staff(base_url: str, factory: TransportFactory, rooms: list[RoomRun]) -> None:
    url = websocket_url(base_url)
    limit = asyncio.Semaphore(50)

    async def connect(room: RoomRun) -> None:
        async with limit:
            await room.host.connect(factory, url, {"token": room.token, "room_id": room.room_id})
            await room.screen.connect(factory, url, {"code": room.code, "screen_key": room.screen_key})

    await asyncio.gather(*(connect(room) for room in rooms))


def source_address(room_number: int, student_index: int, scenario: Scenario) -> str:
    """127.0.<a>.<b>, distinct per room and per `students_per_address` students of a room."""
    per_room = -(-scenario.students // scenario.students_per_address)
    n = room_number * per_room + student_index // scenario.students_per_address
    return f"127.{10 + n // 62500}.{n // 250 % 250 + 1}.{n % 250 + 1}"


async def connect_students(base_url: str, factory: TransportFactory, rooms: list[RoomRun],
                           scenario: Scenario, m: Measurements) -> None:
    url = websocket_url(base_url)
    limit = asyncio.Semaphore(scenario.connect_concurrency)

    async def connect(room: RoomRun, student: Student) -> None:
        async with limit:
            try:
                await student.client.connect(factory, url, {
                    "code": room.code, "nickname": f"r{room.number}s{student.index}"},
                    source_address(room.number, student.index, scenario))
            except ConnectRefused as refused:
                m.refused[str(refused.code)] += 1
                return
            except (ConnectionLost, ConnectTimeout, OSError, TimeoutError) as exc:
                m.connect_failures[type(exc).__name__] += 1
                return
            m.connected += 1

    m.connect_started = time.perf_counter()
    # Interleave rooms so that "100 rooms at once" fills them together, as a school morning does.
    order = [(room, room.students[i]) for i in range(scenario.students) for room in rooms]
    await asyncio.gather(*(connect(room, student) for room, student in order))
    m.connect_finished = time.perf_counter()


async def close_all(rooms: list[RoomRun]) -> None:
    limit = asyncio.Semaphore(500)

    async def close(client: SocketClient) -> None:
        async with limit:
            await client.close()

    clients = [c for room in rooms for c in (room.host, room.screen, *(s.client for s in room.students))]
    await asyncio.gather(*(close(c) for c in clients), return_exceptions=True)
