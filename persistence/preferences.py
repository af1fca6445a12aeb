"""A user's preferences, read and written by the owner of a live bearer token (teacher or
rostered student): text size and colour scheme (users.font_size, users.color_scheme in the
seed), the dyslexia-friendly font and colour-blind-safe palette (users.font_family,
users.palette, migration 0012), and the daily practice goal (users.daily_goal_minutes)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass

from sqlalchemy import text

from persistence.accounts import token_digest
from persistence.database import Database

FONT_SIZES = ("small", "medium", "large", "x-large")
COLOR_SCHEMES = ("default", "dark", "high_contrast")
FONT_FAMILIES = ("standard", "dyslexia")
PALETTES = ("standard", "colour_blind")
DEFAULT_DAILY_GOAL_MINUTES = 15


@dataclass(frozen=True)
class Preferences:
    font_size: str
    color_scheme: str
    font_family: str
    palette: str
    daily_goal_minutes: int

    def as_dict(self) -> dict[str, str | int]:
        return asdict(self)


_COLUMNS = ("COALESCE(font_size, 'medium'), COALESCE(color_scheme, 'default'), font_family, palette, "
            f"COALESCE(daily_goal_minutes, {DEFAULT_DAILY_GOAL_MINUTES})")


async def user_for_any_token(db: Database, token: str) -> uuid.UUID | None:
    """The user (any role) a live bearer token belongs to, or None."""
    if not token or len(token) > 200:
        return None
    async with db.engine.connect() as conn:
        user_id: uuid.UUID | None = await conn.scalar(text(
            "SELECT user_id FROM auth_tokens WHERE token_hash = :h AND revoked_at IS NULL "
            "AND expires_at > (now() AT TIME ZONE 'UTC')"), {"h": token_digest(token)})
        return user_id


async def get_preferences(db: Database, user_id: uuid.UUID) -> Preferences:
    async with db.engine.connect() as conn:
        row = (await conn.execute(text(f"SELECT {_COLUMNS} FROM users WHERE id = :u"),
                                  {"u": user_id})).one()
    return Preferences(*row)


async def update_preferences(db: Database, user_id: uuid.UUID, *, font_size: str | None = None,
                             color_scheme: str | None = None, font_family: str | None = None,
                             palette: str | None = None,
                             daily_goal_minutes: int | None = None) -> Preferences:
    """Sets the given fields (None leaves one as it is); returns what is stored now."""
    async with db.sessions() as session, session.begin():
        row = (await session.execute(text(
            "UPDATE users SET font_size = COALESCE(:f, font_size), "
            "color_scheme = COALESCE(:c, color_scheme), font_family = COALESCE(:ff, font_family), "
            "palette = COALESCE(:p, palette), daily_goal_minutes = COALESCE(:g, daily_goal_minutes) "
            f"WHERE id = :u RETURNING {_COLUMNS}"),
            {"u": user_id, "f": font_size, "c": color_scheme, "ff": font_family, "p": palette,
             "g": daily_goal_minutes})).one()
    return Preferences(*row)
