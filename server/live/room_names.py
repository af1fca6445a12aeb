"""Socket.IO room names, built here and nowhere else."""

from __future__ import annotations

import uuid


def host_room(room_id: uuid.UUID) -> str:
    return f"room:{room_id}:host"


def screen_room(room_id: uuid.UUID) -> str:
    return f"room:{room_id}:screen"


def players_room(room_id: uuid.UUID) -> str:
    return f"room:{room_id}:players"


def player_room(player_id: uuid.UUID) -> str:
    """Every connection of one player (a second tab, a reconnect) is in this room."""
    return f"player:{player_id}"
