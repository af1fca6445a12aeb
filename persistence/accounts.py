"""Who is asking: bearer tokens for teachers, student keys for rostered students.

Tokens are random strings handed out once at login; only their SHA-256 is stored, so a
copy of the database lets nobody sign in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import text

from persistence.database import Database


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


async def user_for_token(db: Database, token: str) -> uuid.UUID | None:
    """The teacher a live (unexpired, unrevoked) bearer token belongs to, or None."""
    if not token or len(token) > 200:
        return None
    async with db.engine.connect() as conn:
        teacher: uuid.UUID | None = await conn.scalar(text(
            "SELECT t.user_id FROM auth_tokens t JOIN users u ON u.id = t.user_id "
            "WHERE t.token_hash = :h AND t.revoked_at IS NULL "
            "AND t.expires_at > (now() AT TIME ZONE 'UTC') AND u.role = 'teacher'"),
            {"h": token_digest(token)})
        return teacher


@dataclass(frozen=True)
class RosteredStudent:
    user_id: uuid.UUID
    class_id: uuid.UUID
    teacher_id: uuid.UUID
    display_name: str


async def student_for_key(db: Database, student_key: str) -> RosteredStudent | None:
    """The roster entry a student key belongs to, or None."""
    if not student_key or len(student_key) > 16:
        return None
    async with db.engine.connect() as conn:
        row = (await conn.execute(text(
            "SELECT s.user_id, s.class_id, c.teacher_id, s.display_name FROM class_students s "
            "JOIN classes c ON c.id = s.class_id WHERE s.student_key = :k"),
            {"k": student_key.strip().upper()})).first()
    return RosteredStudent(*row) if row else None


async def issue_token(db: Database, user_id: uuid.UUID, token: str, *,
                      ttl_hours: int) -> dt.datetime:
    """Store a freshly generated token (its digest) valid for `ttl_hours`; its expiry (UTC)."""
    async with db.sessions() as session, session.begin():
        # Sweep this teacher's dead tokens as they sign in, so the table stays small without
        # a background job. A day's grace keeps recent ones for anyone investigating a login.
        await session.execute(text(
            "DELETE FROM auth_tokens WHERE user_id = :u "
            "AND LEAST(expires_at, revoked_at) < (now() AT TIME ZONE 'UTC') - interval '1 day'"),
            {"u": user_id})
        expires_at: dt.datetime = await session.scalar(text(
            "INSERT INTO auth_tokens (token_hash, user_id, expires_at) VALUES "
            "(:h, :u, (now() AT TIME ZONE 'UTC') + make_interval(hours => :ttl)) "
            "RETURNING expires_at"),
            {"h": token_digest(token), "u": user_id, "ttl": ttl_hours})
        return expires_at


async def revoke_token(db: Database, token: str) -> bool:
    """Revoke a live token; False when it was unknown, expired or already revoked."""
    async with db.sessions() as session, session.begin():
        revoked = await session.scalar(text(
            "UPDATE auth_tokens SET revoked_at = now() AT TIME ZONE 'UTC' "
            "WHERE token_hash = :h AND revoked_at IS NULL "
            "AND expires_at > (now() AT TIME ZONE 'UTC') RETURNING user_id"),
            {"h": token_digest(token)})
    return revoked is not None


async def principal_for_token(db: Database, token: str) -> tuple[uuid.UUID, str] | None:
    """(user_id, role) of a live bearer token of any user (teacher or student), or None."""
    if not token or len(token) > 200:
        return None
    async with db.engine.connect() as conn:
        row = (await conn.execute(text(
            "SELECT t.user_id, u.role FROM auth_tokens t JOIN users u ON u.id = t.user_id "
            "WHERE t.token_hash = :h AND t.revoked_at IS NULL "
            "AND t.expires_at > (now() AT TIME ZONE 'UTC')"), {"h": token_digest(token)})).first()
    return (row[0], row[1]) if row else None
