"""Rooms, players, room questions and answer attempts written straight to the database.

The live game and the answer writer are other modules; report tests insert what a game
would have left so they depend on neither.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text

from persistence.database import Database


@dataclass(frozen=True)
class Player:
    id: uuid.UUID
    user_id: uuid.UUID
    session_id: uuid.UUID
    room_id: uuid.UUID


async def make_room(db: Database, teacher_id: uuid.UUID, *, status: str = "finished",
                    operation: str = "×") -> uuid.UUID:
    # Finished by default: finished rooms do not compete for open join codes.
    async with db.sessions() as session, session.begin():
        return await session.scalar(text(
            "INSERT INTO rooms (teacher_id, code, operation, question_count, time_limit_ms, "
            "screen_key, status, started_at) VALUES (:t, :c, :op, 10, 20000, :k, :s, "
            "now() AT TIME ZONE 'UTC') RETURNING id"),
            {"t": teacher_id, "c": f"{secrets.randbelow(10**6):06d}", "op": operation,
             "k": secrets.token_urlsafe(16), "s": status})


async def add_player(db: Database, room_id: uuid.UUID, nickname: str, join_order: int, *,
                     user_id: uuid.UUID | None = None) -> Player:
    async with db.sessions() as session, session.begin():
        if user_id is None:
            user_id = await session.scalar(text(
                "INSERT INTO users (username, role) VALUES (:u, 'guest') RETURNING id"),
                {"u": f"guest-{uuid.uuid4().hex[:20]}"})
        session_id = await session.scalar(text(
            "INSERT INTO practice_sessions (user_id, mode, config) VALUES (:u, 'live', "
            "CAST(:c AS jsonb)) RETURNING id"),
            {"u": user_id, "c": json.dumps({"room_id": str(room_id)})})
        player_id = await session.scalar(text(
            "INSERT INTO room_players (room_id, user_id, session_id, nickname, join_order) "
            "VALUES (:r, :u, :s, :n, :o) RETURNING id"),
            {"r": room_id, "u": user_id, "s": session_id, "n": nickname, "o": join_order})
    return Player(player_id, user_id, session_id, room_id)


async def add_room_question(db: Database, room_id: uuid.UUID, index: int, fact: dict) -> None:
    async with db.sessions() as session, session.begin():
        await session.execute(text(
            "INSERT INTO room_questions (room_id, question_index, question_id, opened_at, closed_at) "
            "VALUES (:r, :i, :q, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')"),
            {"r": room_id, "i": index, "q": fact["id"]})


async def add_attempt(db: Database, player: Player, fact: dict, index: int, *, answer: str,
                      response_time: int, points: int) -> uuid.UUID:
    attempt_id = uuid.uuid4()
    value = Decimal(answer)
    async with db.sessions() as session, session.begin():
        await session.execute(text(
            "INSERT INTO answer_attempts (question_id, user_id, session_id, user_answer, is_correct, "
            "correct_answer, response_time, input_method, raw_input, attempt_number, attempt_id, "
            "question_index, points) VALUES (:q, :u, :s, :a, :ok, :c, :t, 'keyboard', :raw, 1, "
            ":id, :i, :p)"),
            {"q": fact["id"], "u": player.user_id, "s": player.session_id, "a": value,
             "ok": value == fact["correct_answer"], "c": fact["correct_answer"], "t": response_time,
             "raw": answer, "id": attempt_id, "i": index, "p": points})
    return attempt_id
