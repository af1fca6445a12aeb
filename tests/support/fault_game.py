"""A classroom game over real clients, for fault tests: students answer every question and
resend the same attempt_id while the refusal says resending may help; every send and ack is
recorded with its time, so a test can report what students saw and how long recovery took."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import socketio

from tests.support.live_clients import LiveClient, connect_host, connect_student, new_attempt

# Refusals after which a student's client sends the same answer again.
RETRYABLE = frozenset({"storage_unavailable", "unavailable", "internal_error", "rate_limited"})
RESEND_AFTER_S = 0.5


@dataclass
class Send:
    at: float          # monotonic seconds
    waited_s: float    # until the ack (or the client gave up)
    code: str          # "ok", an error code, or "no_ack"


@dataclass
class AnswerRecord:
    attempt_id: str
    player_id: str
    index: int
    sends: list[Send] = field(default_factory=list)
    ack: dict | None = None   # the final ok ack

    @property
    def outcome(self) -> str:
        return self.sends[-1].code if self.sends else "unsent"


@dataclass
class GameRun:
    records: list[AnswerRecord]
    game_over: dict[str, dict]     # player_id → that player's game_over
    host_game_over: dict
    started: float

    def codes(self) -> Counter:
        return Counter(s.code for r in self.records for s in r.sends)

    def max_wait_s(self) -> float:
        return max(s.waited_s for r in self.records for s in r.sends)

    def first_ok_after(self, moment: float) -> float | None:
        """Seconds from `moment` until an ack that was sent after it succeeded."""
        oks = [s.at + s.waited_s for r in self.records for s in r.sends
               if s.code == "ok" and s.at >= moment]
        return min(oks) - moment if oks else None

    def summary(self) -> dict:
        return {"sends": sum(len(r.sends) for r in self.records), "codes": dict(self.codes()),
                "max_ack_wait_s": round(self.max_wait_s(), 2),
                "answers_acked": sum(r.ack is not None for r in self.records),
                "answers": len(self.records)}


class ClassroomGame:
    def __init__(self, urls: list[str], token: str, room: dict, students: int, *,
                 seed: int = 1) -> None:
        self.urls = urls
        self.token = token
        self.room = room
        self.count = students
        self.rng = random.Random(seed)
        self.host: LiveClient | None = None
        self.students: list[LiveClient] = []
        self.records: list[AnswerRecord] = []

    async def join(self) -> None:
        self.host = await connect_host(self.urls[0], self.token, self.room["room_id"])
        self.students = list(await asyncio.gather(*(
            connect_student(self.urls[i % len(self.urls)], self.room["code"], f"S{i}")
            for i in range(self.count))))
        await self.host.wait_for("lobby", predicate=lambda d: d["count"] == self.count)

    async def close(self) -> None:
        for client in [*self.students, *([self.host] if self.host else [])]:
            if client.sio.connected:
                await client.disconnect()

    async def play(self, questions: int, *, within_s: float = 240) -> GameRun:
        assert self.host is not None
        started = time.monotonic()
        started_ack = await self.host.call("start")
        assert started_ack["ok"], started_ack
        async with asyncio.timeout(within_s):
            await asyncio.gather(*(self._student(i, s, questions) for i, s in enumerate(self.students)))
            host_over = await self.host.wait_for("game_over", within_s=within_s)
            overs = {}
            for student in self.students:
                over = await student.wait_for("game_over", within_s=within_s)
                overs[student.last("joined")["player_id"]] = over
        return GameRun(self.records, overs, host_over, started)

    async def _student(self, i: int, student: LiveClient, questions: int) -> None:
        player_id = student.last("joined")["player_id"]
        for index in range(questions):
            question = await student.wait_for("question", predicate=lambda d, n=index: d["index"] == n,
                                              within_s=120)
            await asyncio.sleep(self.rng.uniform(0.1, 2.0))
            right = question["operand1"] * question["operand2"]
            raw = str(right if self.rng.random() < 0.8 else right + 1)
            record = AnswerRecord(new_attempt(), player_id, index)
            self.records.append(record)
            await self._answer(student, record, raw)

    async def _answer(self, student: LiveClient, record: AnswerRecord, raw: str) -> None:
        while True:
            sent = time.monotonic()
            try:
                ack = await student.call("answer", {"index": record.index, "answer": raw,
                                                    "attempt_id": record.attempt_id})
                code = "ok" if ack.get("ok") else ack["error"]["code"]
            except (TimeoutError, socketio.exceptions.TimeoutError):  # the client's own is not the builtin
                ack, code = None, "no_ack"
            record.sends.append(Send(sent, time.monotonic() - sent, code))
            if code == "ok":
                record.ack = ack
                return
            if code not in RETRYABLE and code != "no_ack":
                return
            await asyncio.sleep(RESEND_AFTER_S)
