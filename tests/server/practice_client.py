"""A student's side of solo practice over HTTP, for tests."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from sqlalchemy import text

from persistence.accounts import token_digest


def right_answer(question: dict) -> int:
    a, b, op = question["operand1"], question["operand2"], question["operation"]
    return {"+": a + b, "-": a - b, "×": a * b, "÷": a // b if b else 0}[op]


class Clock:
    """The app's injected clock: tests move it forward by days."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


async def enrol(db, *students) -> tuple[uuid.UUID, uuid.UUID, dict[uuid.UUID, str]]:
    """A teacher with a class holding these students; returns (teacher, class, keys)."""
    async with db.engine.begin() as conn:
        teacher = await conn.scalar(text(
            "INSERT INTO users (username, role) VALUES (:u, 'teacher') RETURNING id"),
            {"u": f"teacher-{uuid.uuid4().hex[:12]}"})
        class_id = await conn.scalar(text(
            "INSERT INTO classes (teacher_id, name) VALUES (:t, 'Class') RETURNING id"), {"t": teacher})
        keys = {}
        for i, student in enumerate(students):
            keys[student] = secrets.token_hex(4).upper()
            await conn.execute(text(
                "INSERT INTO class_students (class_id, user_id, display_name, student_key) "
                "VALUES (:c, :u, :n, :k)"),
                {"c": class_id, "u": student, "n": f"Kid {i}", "k": keys[student]})
    return teacher, class_id, keys


async def teacher_auth(db, teacher_id) -> dict:
    token = secrets.token_urlsafe(24)
    async with db.engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO auth_tokens (token_hash, user_id, expires_at) VALUES (:h, :u, :e)"),
            {"h": token_digest(token), "u": teacher_id, "e": dt.datetime(2100, 1, 1)})
    return {"Authorization": f"Bearer {token}"}


class Student:
    def __init__(self, client, auth: dict, user_id: str) -> None:
        self.client, self.auth, self.user_id = client, auth, user_id

    @classmethod
    async def sign_in(cls, client, student_key: str) -> Student:
        response = await client.post("/api/students/session", json={"student_key": student_key})
        assert response.status == 201, await response.text()
        body = await response.json()
        return cls(client, {"Authorization": f"Bearer {body['token']}"}, body["user_id"])

    async def call(self, method: str, path: str, expect: int = 200, **kwargs) -> dict:
        response = await self.client.request(method, path, headers=self.auth, **kwargs)
        body = await response.json()
        assert response.status == expect, body
        return body

    async def start(self, track_id, mode: str = "practice", expect: int = 201) -> dict:
        return await self.call("POST", "/api/practice/sessions", expect,
                               json={"track_id": str(track_id), "mode": mode})

    async def next(self, session_id: str) -> dict:
        return await self.call("GET", f"/api/practice/sessions/{session_id}/next")

    async def answer(self, session_id: str, question: dict, *, correct: bool = True, ms: int = 1200,
                     attempt_id: str | None = None, expect: int = 200) -> dict:
        value = right_answer(question) + (0 if correct else 1)
        return await self.call("POST", f"/api/practice/sessions/{session_id}/answers", expect, json={
            "attempt_id": attempt_id or str(uuid.uuid4()), "question_id": question["question_id"],
            "answer": str(value), "response_time_ms": ms})

    async def grid(self, track_id, operation: str) -> dict:
        return await self.call("GET", f"/api/users/{self.user_id}/grid",
                               params={"track_id": str(track_id), "operation": operation})

    async def tracks(self) -> dict:
        body = await self.call("GET", f"/api/users/{self.user_id}/tracks")
        return {uuid.UUID(t["id"]): t for t in body["tracks"]}

    async def progress(self, track_id) -> dict:
        return await self.call("GET", f"/api/users/{self.user_id}/tracks/{track_id}/progress")
