"""SQL of live rooms: rooms, their players and questions, and the free-standing facts.

Everything a room is can be read back from here: Redis only holds what is fast to rebuild.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, INTEGER, NUMERIC, UUID, VARCHAR

from persistence.database import Database

_CATEGORY = {"+": "addition", "-": "subtraction", "×": "multiplication", "÷": "division"}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class RoomRow:
    room_id: uuid.UUID
    teacher_id: uuid.UUID
    code: str
    title: str | None
    operation: str
    min_operand: int | None
    max_operand: int | None
    track_id: uuid.UUID | None
    question_count: int
    time_limit_ms: int
    auto_advance_ms: int | None
    screen_key: str
    status: str
    personal_rounds: bool = False


@dataclass(frozen=True)
class PlayerRow:
    player_id: uuid.UUID
    user_id: uuid.UUID
    session_id: uuid.UUID
    nickname: str
    join_order: int
    kicked: bool


@dataclass(frozen=True)
class FactRow:
    question_id: uuid.UUID
    operand1: int
    operand2: int
    operation: str
    correct_answer: Decimal


@dataclass(frozen=True)
class RoomQuestionRow:
    index: int
    fact: FactRow
    opened_at: dt.datetime | None
    closes_at: dt.datetime | None
    closed_at: dt.datetime | None


@dataclass(frozen=True)
class AttemptRow:
    attempt_id: uuid.UUID
    session_id: uuid.UUID
    question_index: int
    question_id: uuid.UUID
    raw_input: str | None
    user_answer: Decimal
    is_correct: bool
    correct_answer: Decimal
    response_time_ms: int
    points: int
    input_method: str


_ROOM_COLUMNS = ("id, teacher_id, code, title, operation, min_operand, max_operand, track_id, "
                 "question_count, time_limit_ms, auto_advance_ms, screen_key, status, personal_rounds")


async def room_by_id(db: Database, room_id: uuid.UUID) -> RoomRow | None:
    async with db.engine.connect() as conn:
        row = (await conn.execute(text(f"SELECT {_ROOM_COLUMNS} FROM rooms WHERE id = :id"),
                                  {"id": room_id})).first()
    return RoomRow(*row) if row else None


async def open_room_by_code(db: Database, code: str) -> RoomRow | None:
    """The room a join code names; finished rooms have given their code back."""
    async with db.engine.connect() as conn:
        row = (await conn.execute(text(
            f"SELECT {_ROOM_COLUMNS} FROM rooms WHERE code = :code AND status <> 'finished'"),
            {"code": code})).first()
    return RoomRow(*row) if row else None


async def recently_finished_code(db: Database, code: str, within: dt.timedelta) -> bool:
    """Did a game with this code end within `within`? (Students who arrive late hear
    "game over" rather than "not found".)"""
    async with db.engine.connect() as conn:
        return bool(await conn.scalar(text(
            "SELECT 1 FROM rooms WHERE code = :code AND status = 'finished' AND finished_at > :since "
            "LIMIT 1"), {"code": code, "since": utcnow() - within}))


async def track_facts(db: Database, track_id: uuid.UUID,
                      operation: str) -> list[tuple[uuid.UUID, int, int, str, Decimal]]:
    """(question_id, operand1, operand2, operation, answer) of a track's two-operand facts:
    those of `operation` when the track has any, else all of them (a mixed-review track)."""
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT id, operand1, operand2, operation, correct_answer FROM questions "
            "WHERE track_id = :t AND operand3 IS NULL ORDER BY sequence_number"),
            {"t": track_id})).all()
    same_operation = [tuple(r) for r in rows if r.operation == operation]
    return same_operation or [tuple(r) for r in rows]


async def find_or_create_facts(db: Database, facts: list[tuple[int, int, str, Decimal]]) -> list[uuid.UUID]:
    """The question id of each (operand1, operand2, operation, answer), creating what is missing.

    Race-free across workers: ON CONFLICT on idx_free_fact waits for a concurrent insert of
    the same fact, and the SELECT after it (a new snapshot) sees that row.
    """
    distinct = sorted(set(facts))
    params = {"a": [f[0] for f in distinct], "b": [f[1] for f in distinct],
              "op": [f[2] for f in distinct], "ans": [f[3] for f in distinct],
              "cat": [_CATEGORY[f[2]] for f in distinct]}
    insert = text(
        "INSERT INTO questions (operand1, operand2, operation, correct_answer, difficulty, "
        "category, sequence_number) "
        "SELECT a, b, op, ans, 'live', cat, 0 FROM unnest(:a, :b, :op, :ans, :cat) AS t(a, b, op, ans, cat) "
        "ON CONFLICT (operand1, operand2, operation) WHERE track_id IS NULL AND operand3 IS NULL "
        "DO NOTHING").bindparams(
        bindparam("a", type_=ARRAY(INTEGER)), bindparam("b", type_=ARRAY(INTEGER)),
        bindparam("op", type_=ARRAY(VARCHAR)), bindparam("ans", type_=ARRAY(NUMERIC)),
        bindparam("cat", type_=ARRAY(VARCHAR)))
    select = text(
        "SELECT q.id, q.operand1, q.operand2, q.operation FROM questions q "
        "JOIN unnest(:a, :b, :op) AS t(a, b, op) "
        "ON q.operand1 = t.a AND q.operand2 = t.b AND q.operation = t.op "
        "WHERE q.track_id IS NULL AND q.operand3 IS NULL").bindparams(
        bindparam("a", type_=ARRAY(INTEGER)), bindparam("b", type_=ARRAY(INTEGER)),
        bindparam("op", type_=ARRAY(VARCHAR)))
    async with db.engine.begin() as conn:
        await conn.execute(insert, params)
    async with db.engine.connect() as conn:
        rows = (await conn.execute(select, {k: params[k] for k in ("a", "b", "op")})).all()
    ids = {(r[1], r[2], r[3]): r[0] for r in rows}
    return [ids[(f[0], f[1], f[2])] for f in facts]


async def record_game_start(db: Database, room_id: uuid.UUID, question_ids: list[uuid.UUID]) -> bool:
    """Store the game's questions and mark it playing; False if it had already started."""
    async with db.engine.begin() as conn:
        started = await conn.scalar(text(
            "UPDATE rooms SET status = 'playing', started_at = :now "
            "WHERE id = :id AND status = 'lobby' RETURNING id"), {"id": room_id, "now": utcnow()})
        if started is None:
            return False
        await conn.execute(text(
            "INSERT INTO room_questions (room_id, question_index, question_id) "
            "SELECT :room, i - 1, q FROM unnest(:qs) WITH ORDINALITY AS t(q, i)").bindparams(
            bindparam("qs", type_=ARRAY(UUID(as_uuid=True)))), {"room": room_id, "qs": question_ids})
    return True


async def record_personal_questions(db: Database, room_id: uuid.UUID, index: int,
                                   chosen: dict[uuid.UUID, uuid.UUID]) -> None:
    """Which fact (question_id) each player (player_id) got at question `index` of a personal
    room: one statement however many players. A player already recorded keeps their fact."""
    if not chosen:
        return
    async with db.engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO room_personal_questions (room_id, question_index, player_id, question_id) "
            "SELECT :room, :index, p, q FROM unnest(:players, :questions) AS t(p, q) "
            "ON CONFLICT DO NOTHING").bindparams(
            bindparam("players", type_=ARRAY(UUID(as_uuid=True))),
            bindparam("questions", type_=ARRAY(UUID(as_uuid=True)))),
            {"room": room_id, "index": index, "players": list(chosen),
             "questions": list(chosen.values())})


async def personal_questions_of(db: Database, room_id: uuid.UUID) -> list[tuple[int, uuid.UUID, FactRow]]:
    """(index, player_id, fact) of every fact a player of this personal room was dealt."""
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT pq.question_index, pq.player_id, q.id, q.operand1, q.operand2, q.operation, "
            "q.correct_answer FROM room_personal_questions pq JOIN questions q ON q.id = pq.question_id "
            "WHERE pq.room_id = :r"), {"r": room_id})).all()
    return [(r[0], r[1], FactRow(*r[2:7])) for r in rows]


async def mark_question_opened(db: Database, room_id: uuid.UUID, index: int,
                               opened_at: dt.datetime, closes_at: dt.datetime) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text(
            "UPDATE room_questions SET opened_at = :o, closes_at = :c "
            "WHERE room_id = :r AND question_index = :i"),
            {"o": opened_at, "c": closes_at, "r": room_id, "i": index})


async def mark_question_closed(db: Database, room_id: uuid.UUID, index: int) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text(
            "UPDATE room_questions SET closed_at = :now "
            "WHERE room_id = :r AND question_index = :i AND closed_at IS NULL"),
            {"now": utcnow(), "r": room_id, "i": index})


async def finish_game(db: Database, room_id: uuid.UUID) -> None:
    """The room is over: its code is free again and every player's session ends."""
    now = utcnow()
    async with db.engine.begin() as conn:
        await conn.execute(text(
            "UPDATE rooms SET status = 'finished', finished_at = :now "
            "WHERE id = :id AND status <> 'finished'"), {"id": room_id, "now": now})
        await conn.execute(text(
            "UPDATE practice_sessions s SET status = 'completed', end_time = :now "
            "FROM room_players p WHERE p.room_id = :id AND s.id = p.session_id "
            "AND s.status = 'active'"), {"id": room_id, "now": now})


async def create_player(db: Database, room: RoomRow, nickname: str, join_order: int,
                        user_id: uuid.UUID | None) -> PlayerRow:
    """A player, their practice session, and for a guest a pseudonymous users row.

    A rostered student who is already in this room gets their existing player back.
    """
    async with db.engine.begin() as conn:
        if user_id is None:
            user_id = await conn.scalar(text(
                "INSERT INTO users (username, role) VALUES (:u, 'guest') RETURNING id"),
                {"u": f"guest-{secrets.token_hex(12)}"})
        else:
            existing = (await conn.execute(text(
                "SELECT id, user_id, session_id, nickname, join_order, kicked_at IS NOT NULL "
                "FROM room_players WHERE room_id = :r AND user_id = :u"),
                {"r": room.room_id, "u": user_id})).first()
            if existing is not None:
                return PlayerRow(*existing)
        config = {"room_id": str(room.room_id), "code": room.code, "operation": room.operation,
                  "question_count": room.question_count, "time_limit_ms": room.time_limit_ms}
        session_id = await conn.scalar(text(
            "INSERT INTO practice_sessions (user_id, mode, config, total_questions) "
            "VALUES (:u, 'live', CAST(:c AS jsonb), :n) RETURNING id"),
            {"u": user_id, "c": json.dumps(config), "n": room.question_count})
        player_id = await conn.scalar(text(
            "INSERT INTO room_players (room_id, user_id, session_id, nickname, join_order) "
            "VALUES (:r, :u, :s, :n, :j) RETURNING id"),
            {"r": room.room_id, "u": user_id, "s": session_id, "n": nickname, "j": join_order})
    return PlayerRow(player_id, user_id, session_id, nickname, join_order, False)


async def kick_player(db: Database, player_id: uuid.UUID) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text(
            "UPDATE room_players SET kicked_at = :now WHERE id = :id AND kicked_at IS NULL"),
            {"id": player_id, "now": utcnow()})


async def players_of(db: Database, room_id: uuid.UUID) -> list[PlayerRow]:
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT id, user_id, session_id, nickname, join_order, kicked_at IS NOT NULL "
            "FROM room_players WHERE room_id = :r ORDER BY join_order"), {"r": room_id})).all()
    return [PlayerRow(*r) for r in rows]


async def room_questions_of(db: Database, room_id: uuid.UUID) -> list[RoomQuestionRow]:
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT rq.question_index, q.id, q.operand1, q.operand2, q.operation, q.correct_answer, "
            "rq.opened_at, rq.closes_at, rq.closed_at FROM room_questions rq "
            "JOIN questions q ON q.id = rq.question_id WHERE rq.room_id = :r "
            "ORDER BY rq.question_index"), {"r": room_id})).all()
    return [RoomQuestionRow(r[0], FactRow(*r[1:6]), r[6], r[7], r[8]) for r in rows]


async def attempts_of(db: Database, room_id: uuid.UUID) -> list[AttemptRow]:
    """Every committed answer of the room, in the order they were answered."""
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT a.attempt_id, a.session_id, a.question_index, a.question_id, a.raw_input, "
            "a.user_answer, "
            "a.is_correct, a.correct_answer, a.response_time, COALESCE(a.points, 0), a.input_method "
            "FROM answer_attempts a JOIN room_players p ON p.session_id = a.session_id "
            "WHERE p.room_id = :r AND a.question_index IS NOT NULL "
            "ORDER BY a.question_index, a.timestamp"), {"r": room_id})).all()
    return [AttemptRow(*r) for r in rows]


@dataclass(frozen=True)
class BoardSource:
    player_id: uuid.UUID
    join_order: int
    score: int
    total_response_ms: int


async def board_source(db: Database, room_id: uuid.UUID) -> list[BoardSource]:
    """Per player still in the room: join order, points and response time committed."""
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT p.id, p.join_order, COALESCE(SUM(a.points), 0)::int, "
            "COALESCE(SUM(a.response_time), 0)::int FROM room_players p "
            "LEFT JOIN answer_attempts a ON a.session_id = p.session_id "
            "AND a.question_index IS NOT NULL "
            "WHERE p.room_id = :r AND p.kicked_at IS NULL GROUP BY p.id, p.join_order"),
            {"r": room_id})).all()
    return [BoardSource(*r) for r in rows]
