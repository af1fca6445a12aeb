"""Issuing, revoking and sweeping bearer tokens."""

from __future__ import annotations

import secrets

from sqlalchemy import text

from persistence.accounts import issue_token, revoke_token, user_for_token
from tests.support import factories


async def test_revoke_only_live_tokens(db):
    teacher = await factories.make_user(db, role="teacher")
    token = secrets.token_urlsafe(32)
    await issue_token(db, teacher, token, ttl_hours=1)
    assert await user_for_token(db, token) == teacher
    assert await revoke_token(db, token) is True
    assert await user_for_token(db, token) is None
    assert await revoke_token(db, token) is False
    assert await revoke_token(db, "never-issued") is False
    expired = secrets.token_urlsafe(32)
    await issue_token(db, teacher, expired, ttl_hours=0)
    assert await revoke_token(db, expired) is False


async def test_signing_in_sweeps_tokens_dead_for_over_a_day(db):
    teacher = await factories.make_user(db, role="teacher")
    tokens = [secrets.token_urlsafe(32) for _ in range(4)]
    for token in tokens:
        await issue_token(db, teacher, token, ttl_hours=1)
    async with db.sessions() as session, session.begin():
        age = "(now() AT TIME ZONE 'UTC') - interval '2 days'"
        recent = "(now() AT TIME ZONE 'UTC') - interval '1 hour'"
        await session.execute(text(
            f"UPDATE auth_tokens SET expires_at = {age} WHERE token_hash = "
            "sha256(convert_to(:t, 'UTF8'))"), {"t": tokens[0]})
        await session.execute(text(
            f"UPDATE auth_tokens SET revoked_at = {age} WHERE token_hash = "
            "sha256(convert_to(:t, 'UTF8'))"), {"t": tokens[1]})
        await session.execute(text(
            f"UPDATE auth_tokens SET revoked_at = {recent} WHERE token_hash = "
            "sha256(convert_to(:t, 'UTF8'))"), {"t": tokens[2]})
    await issue_token(db, teacher, secrets.token_urlsafe(32), ttl_hours=1)
    async with db.engine.connect() as conn:
        left = await conn.scalar(text("SELECT count(*) FROM auth_tokens WHERE user_id = :u"),
                                 {"u": teacher})
    assert left == 3  # the recently revoked one, the live one, the new one
