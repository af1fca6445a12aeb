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
        # A track holds the facts of its sections (the track_facts view): one section of all.
        await session.execute(text(
            "INSERT INTO track_sections (track_id, name, sequence_number, question_ids) "
            "VALUES (:t, 'All', 1, CAST(:q AS uuid[]))"),
            {"t": track_id, "q": [f["id"] for f in facts]})
    return track_id, facts


async def make_session(db: Database, user_id: uuid.UUID, *, mode: str = "practice",
                       config: dict | None = None) -> uuid.UUID:
    async with db.sessions() as session, session.begin():
        return await session.scalar(text(
            "INSERT INTO practice_sessions (user_id, mode, config) VALUES (:u, :m, "
            "CAST(:c AS jsonb)) RETURNING id"),
            {"u": user_id, "m": mode, "c": json.dumps(config or {})})


async def make_teacher_with_token(db: Database) -> tuple[uuid.UUID, str]:
    """A teacher and a live bearer token for them (rows inserted directly)."""
    import datetime as dt
    import secrets

    from persistence.accounts import token_digest

    teacher = await make_user(db, role="teacher")
    token = secrets.token_urlsafe(24)
    expires = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=1)
    async with db.sessions() as session, session.begin():
        await session.execute(text(
            "INSERT INTO auth_tokens (token_hash, user_id, expires_at) VALUES (:h, :u, :e)"),
            {"h": token_digest(token), "u": teacher, "e": expires})
    return teacher, token


async def make_room(db: Database, teacher_id: uuid.UUID, *, operation: str = "×",
                    min_operand: int | None = 2, max_operand: int | None = 9,
                    question_count: int = 3, time_limit_ms: int = 10_000,
                    auto_advance_ms: int | None = None, title: str = "Test room",
                    track_id: uuid.UUID | None = None, personal: bool = False,
                    team_names: tuple[str, ...] = ()) -> dict:
    """A room in the lobby with a fresh 6-digit code: {room_id, code, screen_key}; in team
    mode with `team_names`."""
    import secrets

    screen_key = secrets.token_urlsafe(16)
    for _ in range(20):
        code = f"{secrets.randbelow(10**6):06d}"
        async with db.engine.begin() as conn:
            taken = await conn.scalar(text(
                "SELECT 1 FROM rooms WHERE code = :c AND status <> 'finished'"), {"c": code})
            if taken:
                continue
            room_id = await conn.scalar(text(
                "INSERT INTO rooms (teacher_id, code, title, operation, min_operand, max_operand, "
                "question_count, time_limit_ms, auto_advance_ms, screen_key, track_id, personal_rounds) "
                "VALUES (:t, :c, :title, :op, :lo, :hi, :n, :limit, :auto, :sk, :track, :personal) "
                "RETURNING id"),
                {"t": teacher_id, "c": code, "title": title, "op": operation, "lo": min_operand,
                 "hi": max_operand, "n": question_count, "limit": time_limit_ms,
                 "auto": auto_advance_ms, "sk": screen_key, "track": track_id,
                 "personal": personal})
            for index, name in enumerate(team_names):
                await conn.execute(text(
                    "INSERT INTO room_teams (room_id, team_index, name) VALUES (:r, :i, :n)"),
                    {"r": room_id, "i": index, "n": name})
        return {"room_id": room_id, "code": code, "screen_key": screen_key}
    raise RuntimeError("no free room code")


async def make_roster_student(db: Database, teacher_id: uuid.UUID,
                              display_name: str = "Ada") -> tuple[uuid.UUID, str]:
    """A rostered student of a new class of the teacher: (user_id, student_key)."""
    import secrets

    user_id = await make_user(db, role="student")
    key = secrets.token_hex(4).upper()
    async with db.sessions() as session, session.begin():
        class_id = await session.scalar(text(
            "INSERT INTO classes (teacher_id, name) VALUES (:t, 'Class') RETURNING id"), {"t": teacher_id})
        await session.execute(text(
            "INSERT INTO class_students (class_id, user_id, display_name, student_key) "
            "VALUES (:c, :u, :n, :k)"), {"c": class_id, "u": user_id, "n": display_name, "k": key})
    return user_id, key
