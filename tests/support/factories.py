"""Rows for tests: users, tracks with facts, sessions. Every call makes new, unique rows."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

from sqlalchemy import text

from persistence.database import Database

OPERATIONS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b,
              "×": lambda a, b: a * b, "÷": lambda a, b: Decimal(a) / Decimal(b)}


async def make_user(db: Database, *, role: str = "student", daily_goal_minutes: int = 15) -> uuid.UUID:
    async with db.sessions() as session, session.begin():
        return await session.scalar(text(
            "INSERT INTO users (username, role, daily_goal_minutes) VALUES (:u, :r, :g) "
            "RETURNING id"), {"u": f"test-{uuid.uuid4().hex[:20]}", "r": role,
                              "g": daily_goal_minutes})


async def make_track(db: Database, operation: str = "×", size: int = 3) -> tuple[uuid.UUID, list[dict]]:
    """A track holding every fact a (op) b for a, b in 1..size; returns (track_id, facts)."""
    async with db.sessions() as session, session.begin():
        track_id = await session.scalar(text(
            "INSERT INTO learning_tracks (name, difficulty, total_questions, operations) "
            "VALUES (:n, 'easy', :t, ARRAY[:op]) RETURNING id"),
            {"n": f"test track {uuid.uuid4().hex[:6]}", "t": size * size, "op": operation})
        facts = []
        for a in range(1, size + 1):
            for b in range(1, size + 1):
                answer = Decimal(OPERATIONS[operation](a * b if operation == "÷" else a, b))
                qid = await session.scalar(text(
                    "INSERT INTO questions (operand1, operand2, operation, correct_answer, "
                    "difficulty, category, track_id, sequence_number) VALUES "
                    "(:a, :b, :op, :ans, 'easy', 'test', :t, :s) RETURNING id"),
                    {"a": a * b if operation == "÷" else a, "b": b, "op": operation,
                     "ans": answer, "t": track_id, "s": len(facts) + 1})
                facts.append({"id": qid, "operand1": a, "operand2": b, "operation": operation,
                              "correct_answer": answer})
    return track_id, facts


async def make_session(db: Database, user_id: uuid.UUID, *, mode: str = "practice",
                       config: dict | None = None) -> uuid.UUID:
    async with db.sessions() as session, session.begin():
        return await session.scalar(text(
            "INSERT INTO practice_sessions (user_id, mode, config) VALUES (:u, :m, "
            "CAST(:c AS jsonb)) RETURNING id"),
            {"u": user_id, "m": mode, "c": json.dumps(config or {})})
