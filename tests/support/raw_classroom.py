"""A large classroom for fault tests over raw msgpack websockets (bench/storm/client.py), cheap
enough for hundreds of students in the test process. Each student answers every question and,
as play.js does, resends the same attempt_id after a retryable refusal (waiting the ack's
`retry_after_ms`) and, when its connection breaks, comes back with its rejoin token on another
worker after a 0.25–1.25 s pause, then resends what was not acknowledged. Every send and ack is
recorded (tests/support/fault_game.GameRun), so the fault checker and the figures work as for
the smaller python-socketio classroom."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from typing import Any

from bench.storm.client import ConnectionLost, ConnectRefused, ConnectTimeout, SocketClient, TransportFactory
from bench.storm.wire import websocket_url
from tests.support.fault_game import RETRYABLE, AnswerRecord, GameRun, Send

ACK_WAIT_S = 10.0
REJOIN_PAUSE_S = 0.5


class RawStudent:
    def __init__(self, name: str, urls: list[str], home: int, factory: TransportFactory,
                 rng: random.Random) -> None:
        self.name = name
        self.urls = urls
        self.home = home  # index of the worker it is connected to
        self.factory = factory
        self.rng = rng
        self.client: SocketClient | None = None
        self.joined: dict[str, Any] = {}
        self.questions: dict[int, dict[str, Any]] = {}
        self.game_over: dict[str, Any] | None = None
        self.changed = asyncio.Event()
        self.rejoins: list[float] = []  # monotonic moments it was back after losing its connection
        self.lost_at: list[float] = []

    @property
    def player_id(self) -> str:
        return str(self.joined["player_id"])

    def _on_event(self, event: str, data: Any, _at: float) -> None:
        if event == "joined":
            self.joined = data
        elif event == "question":
            self.questions[data["index"]] = data
        elif event == "state" and isinstance(data, dict) and data.get("question"):
            self.questions.setdefault(data["question"]["index"], data["question"])
        elif event == "game_over":
            self.game_over = data
        self.changed.set()

    async def _connect(self, worker: int, auth: dict[str, Any]) -> None:
        client = SocketClient("/play", self._on_event)
        await client.connect(self.factory, websocket_url(self.urls[worker]), auth, timeout_s=10)
        self.client, self.home = client, worker

    async def join(self, code: str) -> None:
        await self._connect(self.home, {"code": code, "nickname": self.name})

    async def come_back(self) -> None:
        """After a lost connection: a pause, then the rejoin token on the next worker, again
        and again until one takes it."""
        self.lost_at.append(time.monotonic())
        await asyncio.sleep(0.25 + self.rng.random())
        worker = self.home
        while True:
            worker = (worker + 1) % len(self.urls)
            try:
                await self._connect(worker, {"rejoin_token": self.joined["rejoin_token"]})
            except ConnectRefused as refused:
                assert refused.code == "unavailable", refused.data
            except (ConnectionLost, ConnectTimeout, OSError):
                pass
            else:
                self.rejoins.append(time.monotonic())
                return
            await asyncio.sleep(REJOIN_PAUSE_S)

    async def _question(self, index: int) -> dict[str, Any] | None:
        """Question `index` once it is here; None if the game went past it (missed while away)."""
        while True:
            if index in self.questions:
                return self.questions[index]
            if self.game_over is not None or (self.questions and max(self.questions) > index):
                return None
            assert self.client is not None
            if self.client.closed:
                await self.come_back()
                continue
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), 0.2)
            except TimeoutError:
                pass

    async def play(self, questions: int, records: list[AnswerRecord]) -> None:
        for index in range(questions):
            question = await self._question(index)
            if question is None:
                continue
            await asyncio.sleep(self.rng.uniform(0.1, 2.0))
            right = question["operand1"] * question["operand2"]
            raw = str(right if self.rng.random() < 0.8 else right + 1)
            record = AnswerRecord(str(uuid.uuid4()), self.player_id, index)
            records.append(record)
            await self._answer(record, raw)
        while self.game_over is None:
            assert self.client is not None
            if self.client.closed:
                await self.come_back()
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), 0.2)
            except TimeoutError:
                pass

    async def _answer(self, record: AnswerRecord, raw: str) -> None:
        while True:
            assert self.client is not None
            if self.client.closed:
                await self.come_back()
            sent = time.monotonic()
            ack: dict[str, Any] | None = None
            try:
                ack = await asyncio.wait_for(self.client.emit("answer", {
                    "index": record.index, "answer": raw, "attempt_id": record.attempt_id}), ACK_WAIT_S)
                assert ack is not None
                code = "ok" if ack.get("ok") else ack["error"]["code"]
            except (ConnectionLost, TimeoutError):
                code = "no_ack"
            record.sends.append(Send(sent, time.monotonic() - sent, code))
            if code == "ok":
                record.ack = ack
                return
            if code == "no_ack":
                continue  # the connection is gone: back on another worker, then the same again
            if code not in RETRYABLE:
                return
            assert ack is not None
            await asyncio.sleep((ack["error"].get("retry_after_ms") or 500) / 1000)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()


class RawClassroom:
    def __init__(self, urls: list[str], room: dict[str, Any], students: int, *, seed: int = 1,
                 factory: TransportFactory | None = None) -> None:
        """`factory`: a shared one (several classrooms, or TLS settings of the test's own)."""
        self.urls = urls
        self.room = room
        self.rng = random.Random(seed)
        self.factory = factory or TransportFactory("websockets")
        self.students = [RawStudent(f"R{i}", urls, i % len(urls), self.factory, random.Random(seed + i))
                         for i in range(students)]
        self.records: list[AnswerRecord] = []

    async def join(self) -> None:
        for start in range(0, len(self.students), 50):
            await asyncio.gather(*(s.join(self.room["code"]) for s in self.students[start:start + 50]))

    async def play(self, questions: int, host_game_over: asyncio.Future[dict[str, Any]],
                   within_s: float = 240) -> GameRun:
        started = time.monotonic()
        async with asyncio.timeout(within_s):
            await asyncio.gather(*(s.play(questions, self.records) for s in self.students))
            host_over = await host_game_over
        overs = {s.player_id: s.game_over for s in self.students if s.game_over is not None}
        return GameRun(self.records, overs, host_over, started)

    async def close(self) -> None:
        await asyncio.gather(*(s.close() for s in self.students), return_exceptions=True)
        await self.factory.aclose()


class RawHost:
    """The teacher's console over a raw websocket: connects (again and again while the room is
    unavailable), starts the game, and, when its connection breaks, comes back as the host page
    does. `game_over` is the room's last event as the host saw it."""

    def __init__(self, url: str, token: str, room_id: str, factory: TransportFactory) -> None:
        self.url = url
        self.auth = {"token": token, "room_id": room_id}
        self.factory = factory
        self.client: SocketClient | None = None
        self.lobby_count = 0
        self.game_over: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.reconnects: list[float] = []
        self._watch: asyncio.Task[None] | None = None

    def _on_event(self, event: str, data: Any, _at: float) -> None:
        if event == "lobby":
            self.lobby_count = data["count"]
        elif event == "game_over" and not self.game_over.done():
            self.game_over.set_result(data)

    async def connect(self, within_s: float = 30) -> None:
        deadline = time.monotonic() + within_s
        while True:
            client = SocketClient("/host", self._on_event)
            try:
                await client.connect(self.factory, websocket_url(self.url), self.auth, timeout_s=10)
            except ConnectRefused as refused:
                if refused.code != "unavailable" or time.monotonic() > deadline:
                    raise
            except (ConnectionLost, ConnectTimeout, OSError):
                if time.monotonic() > deadline:
                    raise
            else:
                self.client = client
                return
            await asyncio.sleep(REJOIN_PAUSE_S)

    async def start(self) -> None:
        assert self.client is not None
        ack = await asyncio.wait_for(self.client.emit("start"), ACK_WAIT_S)
        assert ack.get("ok"), ack
        self._watch = asyncio.create_task(self._stay_connected())

    async def _stay_connected(self) -> None:
        while not self.game_over.done():
            assert self.client is not None
            if self.client.closed:
                await self.connect()
                self.reconnects.append(time.monotonic())
            await asyncio.sleep(0.2)

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
        if self.client is not None:
            await self.client.close()
