"""Teacher accounts: a users row with role 'teacher' and its argon2 hash in teacher_accounts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text

from persistence.database import Database


class AccountTaken(Exception):
    def __init__(self, field: str) -> None:
        super().__init__(f"{field} is taken")
        self.field = field  # "username" or "email"


@dataclass(frozen=True)
class TeacherCredentials:
    user_id: uuid.UUID
    password_hash: str


async def create_teacher(db: Database, username: str, email: str, password_hash: str) -> uuid.UUID:
    """A new teacher, or AccountTaken naming the field another user already holds."""
    async with db.sessions() as session, session.begin():
        # ON CONFLICT DO NOTHING: a concurrent sign-up with the same name loses cleanly.
        user_id: uuid.UUID | None = await session.scalar(text(
            "INSERT INTO users (username, email, role) VALUES (:u, :e, 'teacher') "
            "ON CONFLICT DO NOTHING RETURNING id"), {"u": username, "e": email})
        if user_id is not None:
            await session.execute(text(
                "INSERT INTO teacher_accounts (user_id, password_hash) VALUES (:u, :h)"),
                {"u": user_id, "h": password_hash})
            return user_id
        username_taken = await session.scalar(text(
            "SELECT EXISTS (SELECT 1 FROM users WHERE username = :u)"), {"u": username})
    raise AccountTaken("username" if username_taken else "email")


async def teacher_credentials(db: Database, username: str) -> TeacherCredentials | None:
    async with db.engine.connect() as conn:
        row = (await conn.execute(text(
            "SELECT u.id, a.password_hash FROM users u JOIN teacher_accounts a ON a.user_id = u.id "
            "WHERE u.username = :u AND u.role = 'teacher'"), {"u": username})).first()
    return TeacherCredentials(*row) if row else None


async def replace_password_hash(db: Database, user_id: uuid.UUID, password_hash: str) -> None:
    async with db.sessions() as session, session.begin():
        await session.execute(text(
            "UPDATE teacher_accounts SET password_hash = :h WHERE user_id = :u"),
            {"h": password_hash, "u": user_id})



async def teacher_profile(db: Database, user_id: uuid.UUID) -> dict[str, str] | None:
    async with db.engine.connect() as conn:
        row = (await conn.execute(text(
            "SELECT username, email FROM users WHERE id = :u AND role = 'teacher'"),
            {"u": user_id})).first()
    return {"username": row.username, "email": row.email} if row else None
