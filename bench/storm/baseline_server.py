"""The bare baseline: python-socketio (msgpack) on aiohttp + uvloop, the game's shapes, no storage.

Same namespaces, auth and event shapes as the real server (PROTOCOL.md) and the same HTTP calls
the load generator makes to set a game up, but every answer is scored in memory and acked at
once: no PostgreSQL, no Redis, no validation beyond what the shapes need. It is the ceiling the
real server is measured against, so it does the work any implementation of the protocol must
do (one `question` broadcast, a `question_closed` and a leaderboard per question, a student's
leaderboard copy with `you`) and nothing else.

Run: python -m bench.storm.baseline_server --port 8765
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import socketio
from aiohttp import web

OPERATIONS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "×": lambda a, b: a * b,
}
PROGRESS_INTERVAL_S = 0.25


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Player:
    player_id: str
    nickname: str
    sid: str
    score: int = 0
    streak: int = 0
    correct: int = 0
    answered: int = 0
    total_time_ms: int = 0
    join_order: int = 0


@dataclass
class Question:
    index: int
    question_id: str
    operand1: int
    operand2: int
    operation: str
    answer: int
    opened_at: float
    closes_at_ms: int


@dataclass
class Room:
    room_id: str
    code: str
    screen_key: str
    operation: str
    min_operand: int
    max_operand: int
    question_count: int
    time_limit_ms: int
    phase: str = "lobby"
    players: dict[str, Player] = field(default_factory=dict)  # by /play sid
    question: Question | None = None
    answered: set[str] = field(default_factory=set)  # player_ids
    correct_count: int = 0
    attempts: dict[str, dict[str, Any]] = field(default_factory=dict)  # attempt_id -> ack
    close_timer: asyncio.TimerHandle | None = None
    progress_pending: bool = False
    lobby_pending: bool = False


class BaselineGame:
    """All state lives here, one instance per server; the namespaces below only forward."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio
        self.rooms_by_id: dict[str, Room] = {}
        self.rooms_by_code: dict[str, Room] = {}
        self.tokens: dict[str, str] = {}
        self._join_order = itertools.count()
        self._tasks: set[asyncio.Future[Any]] = set()

    def spawn(self, coro: Any) -> None:
        # Timers and the answer path start emits they must not wait for; keep them referenced.
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # HTTP set-up, same calls as the real server
    def create_room(self, body: dict[str, Any]) -> Room:
        while True:
            code = f"{random.randrange(10**6):06d}"
            if code not in self.rooms_by_code:
                break
        room = Room(room_id=str(uuid.uuid4()), code=code, screen_key=uuid.uuid4().hex,
                    operation=body.get("operation", "×"), min_operand=int(body.get("min_operand", 2)),
                    max_operand=int(body.get("max_operand", 12)),
                    question_count=int(body.get("question_count", 10)),
                    time_limit_ms=int(body.get("time_limit_ms", 10000)))
        self.rooms_by_id[room.room_id] = room
        self.rooms_by_code[code] = room
        return room

    # emits, each naming its recipient
    async def emit_all(self, room: Room, event: str, payload: dict[str, Any]) -> None:
        for nsp in ("/host", "/screen", "/play"):
            await self.sio.emit(event, payload, to=room.room_id, namespace=nsp)

    async def emit_staff(self, room: Room, event: str, payload: dict[str, Any]) -> None:
        for nsp in ("/host", "/screen"):
            await self.sio.emit(event, payload, to=room.room_id, namespace=nsp)

    def schedule_lobby(self, room: Room) -> None:
        if not room.lobby_pending:
            room.lobby_pending = True
            asyncio.get_running_loop().call_later(PROGRESS_INTERVAL_S, self._send_lobby, room)

    def _send_lobby(self, room: Room) -> None:
        room.lobby_pending = False
        players = [{"player_id": p.player_id, "nickname": p.nickname} for p in room.players.values()]
        payload = {"players": players, "count": len(players), "locked": False}
        self.spawn(self.emit_staff(room, "lobby", payload))
        self.spawn(self.sio.emit("lobby", {"count": len(players)}, to=room.room_id, namespace="/play"))

    # the game
    async def open_question(self, room: Room, index: int) -> None:
        a = random.randint(room.min_operand, room.max_operand)
        b = random.randint(room.min_operand, room.max_operand)
        closes_at_ms = _now_ms() + room.time_limit_ms
        room.question = Question(index=index, question_id=str(uuid.uuid4()), operand1=a, operand2=b,
                                 operation=room.operation, answer=OPERATIONS[room.operation](a, b),
                                 opened_at=time.monotonic(), closes_at_ms=closes_at_ms)
        room.phase = "question"
        room.answered = set()
        room.correct_count = 0
        loop = asyncio.get_running_loop()
        room.close_timer = loop.call_later(room.time_limit_ms / 1000,
                                           lambda: self.spawn(self.close_question(room)))
        await self.emit_all(room, "question", {
            "index": index, "total": room.question_count, "question_id": room.question.question_id,
            "prompt": f"{a} {room.operation} {b}", "operand1": a, "operand2": b, "operand3": None,
            "operation": room.operation, "operation2": None, "display_format": "horizontal",
            "units": None, "time_limit_ms": room.time_limit_ms, "closes_at": closes_at_ms})

    async def close_question(self, room: Room) -> None:
        if room.phase != "question" or room.question is None:
            return
        if room.close_timer is not None:
            room.close_timer.cancel()
        room.phase = "reveal"
        question = room.question
        await self.emit_all(room, "question_closed", {
            "index": question.index, "correct_answer": question.answer, "answered": len(room.answered),
            "correct": room.correct_count, "average_response_time_ms": 0})
        ranked = self.ranking(room)
        top = [{"rank": rank, "player_id": p.player_id, "nickname": p.nickname, "score": p.score}
               for rank, p in enumerate(ranked[:10], start=1)]
        board = {"index": question.index, "top": top, "players": len(ranked)}
        await self.emit_staff(room, "leaderboard", board)
        for rank, player in enumerate(ranked, start=1):
            await self.sio.emit("leaderboard", {**board, "you": {
                "rank": rank, "score": player.score, "streak": player.streak}},
                to=player.sid, namespace="/play")

    async def finish(self, room: Room) -> None:
        room.phase = "finished"
        ranked = self.ranking(room)
        top = [{"rank": rank, "player_id": p.player_id, "nickname": p.nickname, "score": p.score}
               for rank, p in enumerate(ranked[:10], start=1)]
        payload = {"podium": top[:3], "top": top}
        await self.emit_staff(room, "game_over", payload)
        for rank, player in enumerate(ranked, start=1):
            await self.sio.emit("game_over", {**payload, "you": {
                "rank": rank, "score": player.score, "correct": player.correct,
                "answered": player.answered}}, to=player.sid, namespace="/play")

    @staticmethod
    def ranking(room: Room) -> list[Player]:
        return sorted(room.players.values(), key=lambda p: (-p.score, p.total_time_ms, p.join_order))

    def answer(self, room: Room, player: Player, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict) or not isinstance(data.get("attempt_id"), str):
            return _error("invalid_payload", "answer needs index, answer and attempt_id")
        previous = room.attempts.get(data["attempt_id"])
        if previous is not None:
            return {**previous, "duplicate": True}
        question = room.question
        if room.phase != "question" or question is None:
            return _error("no_open_question", "no question is open")
        if data.get("index") != question.index:
            return _error("wrong_index", "that question is not the open one")
        if player.player_id in room.answered:
            return _error("already_answered", "you already answered this question")
        try:
            value = float(str(data.get("answer")).strip())
        except ValueError:
            return _error("invalid_answer", "answer must be a number")
        elapsed_ms = int((time.monotonic() - question.opened_at) * 1000)
        is_correct = value == question.answer
        points = 0
        if is_correct:
            player.streak += 1
            points = round(1000 * (1 - (elapsed_ms / room.time_limit_ms) / 2))
            points += min(100 * (player.streak - 1), 500)
            player.correct += 1
            room.correct_count += 1
        else:
            player.streak = 0
        player.score += points
        player.answered += 1
        player.total_time_ms += elapsed_ms
        room.answered.add(player.player_id)
        ack = {"ok": True, "is_correct": is_correct, "correct_answer": question.answer, "points": points,
               "score": player.score, "streak": player.streak, "response_time_ms": elapsed_ms,
               "duplicate": False}
        room.attempts[data["attempt_id"]] = ack
        if len(room.answered) >= len(room.players):
            self.spawn(self.close_question(room))
        elif not room.progress_pending:
            room.progress_pending = True
            asyncio.get_running_loop().call_later(PROGRESS_INTERVAL_S, self._send_progress, room)
        return ack

    def _send_progress(self, room: Room) -> None:
        room.progress_pending = False
        if room.phase == "question" and room.question is not None:
            self.spawn(self.emit_staff(room, "answer_progress", {
                "index": room.question.index, "answered": len(room.answered),
                "players": len(room.players)}))


def _error(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


def _refuse(code: str) -> socketio.exceptions.ConnectionRefusedError:
    return socketio.exceptions.ConnectionRefusedError(code.replace("_", " "), {"code": code})


class HostNamespace(socketio.AsyncNamespace):
    def __init__(self, game: BaselineGame) -> None:
        super().__init__("/host")
        self.game = game

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        room = self.game.rooms_by_id.get((auth or {}).get("room_id", ""))
        if room is None:
            raise _refuse("room_not_found")
        if (auth or {}).get("token") not in self.game.tokens:
            raise _refuse("unauthorized")
        await self.save_session(sid, {"room_id": room.room_id})
        await self.enter_room(sid, room.room_id)

    async def _room(self, sid: str) -> Room:
        return self.game.rooms_by_id[(await self.get_session(sid))["room_id"]]

    async def on_start(self, sid: str, data: Any = None) -> dict[str, Any]:
        room = await self._room(sid)
        if room.phase != "lobby":
            return _error("invalid_phase", "the game has started")
        await self.game.open_question(room, 0)
        return {"ok": True}

    async def on_next(self, sid: str, data: Any = None) -> dict[str, Any]:
        room = await self._room(sid)
        if room.phase != "reveal" or room.question is None:
            return _error("invalid_phase", "no question to advance from")
        if room.question.index + 1 >= room.question_count:
            await self.game.finish(room)
        else:
            await self.game.open_question(room, room.question.index + 1)
        return {"ok": True}

    async def on_close_question(self, sid: str, data: Any = None) -> dict[str, Any]:
        room = await self._room(sid)
        if room.phase != "question":
            return _error("invalid_phase", "no open question")
        await self.game.close_question(room)
        return {"ok": True}

    async def on_end(self, sid: str, data: Any = None) -> dict[str, Any]:
        room = await self._room(sid)
        await self.game.close_question(room)
        await self.game.finish(room)
        return {"ok": True}


class ScreenNamespace(socketio.AsyncNamespace):
    def __init__(self, game: BaselineGame) -> None:
        super().__init__("/screen")
        self.game = game

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        room = self.game.rooms_by_code.get((auth or {}).get("code", ""))
        if room is None:
            raise _refuse("room_not_found")
        if (auth or {}).get("screen_key") != room.screen_key:
            raise _refuse("forbidden")
        await self.enter_room(sid, room.room_id)


class PlayNamespace(socketio.AsyncNamespace):
    def __init__(self, game: BaselineGame) -> None:
        super().__init__("/play")
        self.game = game

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        auth = auth or {}
        room = self.game.rooms_by_code.get(auth.get("code", ""))
        if room is None:
            raise _refuse("room_not_found")
        if room.phase == "finished":
            raise _refuse("game_over")
        nickname = str(auth.get("nickname", "")).strip()
        if not 1 <= len(nickname) <= 20:
            raise _refuse("invalid_nickname")
        player = Player(player_id=str(uuid.uuid4()), nickname=nickname, sid=sid,
                        join_order=next(self.game._join_order))
        room.players[sid] = player
        await self.save_session(sid, {"room_id": room.room_id})
        await self.enter_room(sid, room.room_id)
        await self.emit("joined", {
            "player_id": player.player_id, "nickname": nickname, "rejoin_token": uuid.uuid4().hex,
            "room": {"code": room.code, "title": "", "phase": room.phase}, "score": 0, "streak": 0},
            to=sid)
        self.game.schedule_lobby(room)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        session = await self.get_session(sid)
        room = self.game.rooms_by_id.get(session.get("room_id", ""))
        if room is not None:
            room.players.pop(sid, None)

    async def on_answer(self, sid: str, data: Any = None) -> dict[str, Any]:
        session = await self.get_session(sid)
        room = self.game.rooms_by_id[session["room_id"]]
        return self.game.answer(room, room.players[sid], data)


def create_app() -> web.Application:
    sio = socketio.AsyncServer(async_mode="aiohttp", serializer="msgpack", cors_allowed_origins=[],
                               max_http_buffer_size=16 * 1024, transports=["websocket"])
    game = BaselineGame(sio)
    for namespace in (HostNamespace(game), ScreenNamespace(game), PlayNamespace(game)):
        sio.register_namespace(namespace)
    app = web.Application()
    sio.attach(app)

    async def create_teacher(request: web.Request) -> web.Response:
        return web.json_response({"user_id": str(uuid.uuid4())}, status=201)

    async def login(request: web.Request) -> web.Response:
        token = uuid.uuid4().hex
        game.tokens[token] = token
        return web.json_response({"token": token, "user_id": str(uuid.uuid4())})

    async def create_room(request: web.Request) -> web.Response:
        room = game.create_room(await request.json())
        return web.json_response({"room_id": room.room_id, "code": room.code,
                                  "screen_key": room.screen_key, "join_url": f"/join/{room.code}",
                                  "screen_url": f"/screen/{room.code}"}, status=201)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"database": "ok", "redis": "ok"})

    app.router.add_post("/api/teachers", create_teacher)
    app.router.add_post("/api/login", login)
    app.router.add_post("/api/rooms", create_room)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="bare python-socketio baseline for bench.storm")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    import uvloop

    web.run_app(create_app(), host=args.host, port=args.port, print=None, access_log=None,
                backlog=4096, loop=uvloop.new_event_loop())


if __name__ == "__main__":
    main()
