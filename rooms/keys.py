"""Every Redis key of the live game, built here and nowhere else; all start with the prefix."""

from __future__ import annotations

import datetime as dt
import uuid


def room_board_key(prefix: str, room_id: uuid.UUID | str) -> str:
    return f"{prefix}:room:{room_id}:board:v2"  # v2: join order in the member


def daily_board_key(prefix: str, day: dt.date) -> str:
    return f"{prefix}:leaderboard:daily:{day.isoformat()}"


def weekly_board_key(prefix: str, day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{prefix}:leaderboard:weekly:{year}-W{week:02d}"


def known_codes_key(prefix: str, address_digest: str) -> str:
    """The join codes one client address joined with lately (server/live/join_gate.py)."""
    return f"{prefix}:address:{address_digest}:codes"


def socketio_channel(prefix: str) -> str:
    return f"{prefix}:socketio"


def player_connections_key(prefix: str, player_id: uuid.UUID | str) -> str:
    return f"{prefix}:player:{player_id}:sids"


def team_board_key(prefix: str, room_id: uuid.UUID | str) -> str:
    """A team-mode room's team board: team index → total points."""
    return f"{prefix}:room:{room_id}:teams"


def generation_key(prefix: str) -> str:
    """A random value that changes whenever Redis has lost its data (rooms/generation.py)."""
    return f"{prefix}:generation"
