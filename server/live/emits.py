"""Every outbound Socket.IO message goes through this module, and each names its recipient.
What a room sends to whom is decided in rooms/delivery.py; this module knows the audiences.

Broadcasts go to Socket.IO rooms (see room_names), so with the Redis manager they reach
clients on every worker; a broadcast is encoded once for all its recipients.

What is meant for connections of this worker only skips the Redis queue (`ignore_queue`):
with the Redis manager every emit is otherwise published, and received and decoded again by
this very worker. That covers a connection's own welcome (`joined`, `lobby`, `state`: the
connect handler runs where the connection is) and each player's own copy (`to_each_player`:
`leaderboard` and `game_over` with `you`, a personal round's `question`) when all of that
player's connections are here; and every broadcast of a room whose connections are all here
(rooms/audiences.py says which).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import socketio

from rooms.audiences import RoomAudiences
from rooms.ports import Payload
from server.live.player_connections import PlayerConnections
from server.live.room_names import (
    host_room,
    player_room,
    players_room,
    room_of_staff_room,
    screen_room,
)

HOST, PLAY, SCREEN = "/host", "/play", "/screen"


class Emitter:
    def __init__(self, sio: socketio.AsyncServer, connections: PlayerConnections | None = None,
                 audiences: RoomAudiences | None = None) -> None:
        self._sio = sio
        self._connections = connections
        self._audiences = audiences if audiences is not None else RoomAudiences()

    async def to_connection(self, sid: str, namespace: str, event: str, payload: dict[str, Any]) -> None:
        """To a connection of this worker (the caller handles its connect or its event)."""
        await self._sio.emit(event, payload, to=sid, namespace=namespace, ignore_queue=True)

    # --- re-sent to this worker's connections (server/live/resync.py) -------------------

    def rooms_with_staff_here(self) -> set[uuid.UUID]:
        """The rooms whose teacher's console or projector is connected to this worker."""
        rooms = set()
        for namespace in (HOST, SCREEN):
            for name, members in self._sio.manager.rooms.get(namespace, {}).items():
                room_id = room_of_staff_room(name) if isinstance(name, str) and members else None
                if room_id is not None:
                    rooms.add(room_id)
        return rooms

    async def to_staff_here(self, room_id: uuid.UUID, event: str, payload: Payload) -> int:
        """To the room's staff connections on this worker only; how many there were."""
        sent = 0
        for namespace, room in ((HOST, host_room(room_id)), (SCREEN, screen_room(room_id))):
            here = len(list(self._sio.manager.get_participants(namespace, room)))
            if here:
                await self._sio.emit(event, payload, to=room, namespace=namespace, ignore_queue=True)
                sent += here
        return sent

    async def to_player_here(self, player_id: uuid.UUID, event: str, payload: Payload) -> int:
        """To the player's connections on this worker only; how many there were."""
        room = player_room(player_id)
        here = len(list(self._sio.manager.get_participants(PLAY, room)))
        if here:
            await self._sio.emit(event, payload, to=room, namespace=PLAY, ignore_queue=True)
        return here

    # --- rooms.ports.Broadcaster ----------------------------------------------------------

    async def to_staff(self, room_id: uuid.UUID, event: str, payload: Payload) -> None:
        here_only = self._audiences.here_only(room_id)
        await self._sio.emit(event, payload, to=host_room(room_id), namespace=HOST,
                             ignore_queue=here_only)
        await self._sio.emit(event, payload, to=screen_room(room_id), namespace=SCREEN,
                             ignore_queue=here_only)

    async def to_players(self, room_id: uuid.UUID, event: str, payload: Payload) -> None:
        await self._sio.emit(event, payload, to=players_room(room_id), namespace=PLAY,
                             ignore_queue=self._audiences.here_only(room_id))

    async def to_each_player(self, event: str, payloads: Mapping[uuid.UUID, Payload],
                             connections: Mapping[uuid.UUID, int]) -> None:
        """Each player's own payload, to that player's connections only."""
        local = self._sio.manager.rooms.get(PLAY, {})
        for player_id, payload in payloads.items():
            room = player_room(player_id)
            here = len(local.get(room, ()))
            # Only when every connection the room counts for this player is here. One on
            # another worker, or a count of 0 (a room rebuilt by a new owner counts nobody
            # until they reconnect), sends the copy through Redis as before.
            only_here = 0 < connections.get(player_id, 0) <= here
            await self._sio.emit(event, payload, to=room, namespace=PLAY, ignore_queue=only_here)

    async def send_off(self, room_id: uuid.UUID, player_id: uuid.UUID, event: str,
                       payload: Payload) -> None:
        room = player_room(player_id)
        await self._sio.emit(event, payload, to=room, namespace=PLAY)
        # Leaving the rooms first means nothing more reaches the removed connections, even
        # before their disconnect completes.
        here = set()
        for sid in list(self._sio.manager.get_participants(PLAY, room)):
            sid = sid[0] if isinstance(sid, tuple) else sid
            here.add(sid)
            await self._sio.leave_room(sid, players_room(room_id), namespace=PLAY)
            await self._sio.disconnect(sid, namespace=PLAY)
        if self._connections is not None:
            # Their connections on other workers: the Redis manager carries the disconnect
            # (and the leave) to the worker that holds each sid.
            for sid in await self._connections.of(player_id):
                if sid not in here:
                    await self._sio.leave_room(sid, players_room(room_id), namespace=PLAY)
                    await self._sio.disconnect(sid, namespace=PLAY)
