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


def join_rate_key(prefix: str, address: str) -> str:
    return f"{prefix}:ratelimit:join:{address}"


def socketio_channel(prefix: str) -> str:
    return f"{prefix}:socketio"


def player_connections_key(prefix: str, player_id: uuid.UUID | str) -> str:
    return f"{prefix}:player:{player_id}:sids"
