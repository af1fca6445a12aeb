"""A user's display preferences (users.font_size, users.color_scheme in the seed), read and
written by the owner of a live bearer token (teacher or rostered student)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass

from sqlalchemy import text

from persistence.accounts import token_digest
from persistence.database import Database

FONT_SIZES = ("small", "medium", "large", "x-large")
COLOR_SCHEMES = ("default", "dark", "high_contrast")


@dataclass(frozen=True)
class Preferences:
    font_size: str
    color_scheme: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


async def user_for_any_token(db: Database, token: str) -> uuid.UUID | None:
    """The user (any role) a live bearer token belongs to, or None."""
    if not token or len(token) > 200:
        return None
    async with db.engine.connect() as conn:
        return await conn.scalar(text(
            "SELECT user_id FROM auth_tokens WHERE token_hash = :h AND revoked_at IS NULL "
            "AND expires_at > (now() AT TIME ZONE 'UTC')"), {"h": token_digest(token)})


async def get_preferences(db: Database, user_id: uuid.UUID) -> Preferences:
    async with db.engine.connect() as conn:
        row = (await conn.execute(text(
            "SELECT COALESCE(font_size, 'medium'), COALESCE(color_scheme, 'default') "
            "FROM users WHERE id = :u"), {"u": user_id})).one()
    return Preferences(*row)


async def update_preferences(db: Database, user_id: uuid.UUID, *, font_size: str | None,
                             color_scheme: str | None) -> Preferences:
    """Sets the given fields (None leaves one as it is); returns what is stored now."""
    async with db.sessions() as session, session.begin():
        row = (await session.execute(text(
            "UPDATE users SET font_size = COALESCE(:f, font_size), "
            "color_scheme = COALESCE(:c, color_scheme) WHERE id = :u "
            "RETURNING COALESCE(font_size, 'medium'), COALESCE(color_scheme, 'default')"),
            {"u": user_id, "f": font_size, "c": color_scheme})).one()
    return Preferences(*row)
