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


def room_of_staff_room(name: str) -> uuid.UUID | None:
    """The room a `host_room` or `screen_room` name is of; None for any other name."""
    parts = name.split(":")
    if len(parts) != 3 or parts[0] != "room" or parts[2] not in ("host", "screen"):
        return None
    try:
        return uuid.UUID(parts[1])
    except ValueError:
        return None
