"""Token and student-key lookups against the real database."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import text

from persistence.accounts import student_for_key, token_digest, user_for_token
from tests.support import factories


async def _issue(db, user_id, *, expires_in_s: int, revoked: bool = False) -> str:
    token = uuid.uuid4().hex
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    async with db.sessions() as session, session.begin():
        await session.execute(text(
            "INSERT INTO auth_tokens (token_hash, user_id, expires_at, revoked_at) "
            "VALUES (:h, :u, :e, :r)"),
            {"h": token_digest(token), "u": user_id, "e": now + dt.timedelta(seconds=expires_in_s),
             "r": now if revoked else None})
    return token


async def test_only_live_teacher_tokens_authenticate(db):
    teacher = await factories.make_user(db, role="teacher")
    student = await factories.make_user(db, role="student")
    assert await user_for_token(db, await _issue(db, teacher, expires_in_s=60)) == teacher
    assert await user_for_token(db, await _issue(db, teacher, expires_in_s=-1)) is None
    assert await user_for_token(db, await _issue(db, teacher, expires_in_s=60, revoked=True)) is None
    assert await user_for_token(db, await _issue(db, student, expires_in_s=60)) is None
    assert await user_for_token(db, "not-a-token") is None
    assert await user_for_token(db, "") is None


async def test_student_key_finds_the_roster_entry(db):
    teacher = await factories.make_user(db, role="teacher")
    student = await factories.make_user(db)
    async with db.sessions() as session, session.begin():
        class_id = await session.scalar(text(
            "INSERT INTO classes (teacher_id, name) VALUES (:t, '3B') RETURNING id"), {"t": teacher})
        await session.execute(text(
            "INSERT INTO class_students (class_id, user_id, display_name, student_key) "
            "VALUES (:c, :u, 'Ada', 'KX7P2M9Q')"), {"c": class_id, "u": student})
    found = await student_for_key(db, " kx7p2m9q ")
    assert found is not None
    assert (found.user_id, found.teacher_id, found.display_name) == (student, teacher, "Ada")
    assert await student_for_key(db, "NOPE1234") is None
