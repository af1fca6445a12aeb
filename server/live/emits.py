"""Every outbound Socket.IO message goes through this module, and each names its recipient.

Broadcasts go to Socket.IO rooms (see room_names), so with the Redis manager they reach
clients on every worker; a broadcast is encoded once for all its recipients.

What is meant for connections of this worker only skips the Redis queue (`ignore_queue`):
with the Redis manager every emit is otherwise published, and received and decoded again by
this very worker. That covers a connection's own welcome (`joined`, `lobby`, `state`: the
connect handler runs where the connection is) and the per-student copies (`leaderboard`,
`game_over` with `you`) of a player all of whose connections are here.
"""

from __future__ import annotations

import uuid

import socketio

from server.live.player_connections import PlayerConnections
from server.live.room_names import host_room, player_room, players_room, screen_room

HOST, PLAY, SCREEN = "/host", "/play", "/screen"


class Emitter:
    def __init__(self, sio: socketio.AsyncServer, connections: PlayerConnections | None = None) -> None:
        self._sio = sio
        self._connections = connections

    async def to_connection(self, sid: str, namespace: str, event: str, payload: dict) -> None:
        """To a connection of this worker (the caller handles its connect or its event)."""
        await self._sio.emit(event, payload, to=sid, namespace=namespace, ignore_queue=True)

    async def _staff(self, room_id: uuid.UUID, event: str, payload: dict) -> None:
        await self._sio.emit(event, payload, to=host_room(room_id), namespace=HOST)
        await self._sio.emit(event, payload, to=screen_room(room_id), namespace=SCREEN)

    async def _everyone(self, room_id: uuid.UUID, event: str, payload: dict) -> None:
        await self._staff(room_id, event, payload)
        await self._sio.emit(event, payload, to=players_room(room_id), namespace=PLAY)

    async def _each_player(self, event: str, common: dict, yours: dict[uuid.UUID, dict],
                           connections: dict[uuid.UUID, int]) -> None:
        await self._each_own(event, {player_id: {**common, "you": you} for player_id, you in yours.items()},
                             connections)

    async def _each_own(self, event: str, payloads: dict[uuid.UUID, dict],
                        connections: dict[uuid.UUID, int]) -> None:
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

    # --- rooms.ports.Broadcaster ----------------------------------------------------------

    async def lobby(self, room_id: uuid.UUID, full: dict, count: int) -> None:
        await self._staff(room_id, "lobby", full)
        await self._sio.emit("lobby", {"count": count}, to=players_room(room_id), namespace=PLAY)

    async def question(self, room_id: uuid.UUID, payload: dict) -> None:
        await self._everyone(room_id, "question", payload)

    async def personal_question(self, room_id: uuid.UUID, staff: dict, mine: dict[uuid.UUID, dict],
                                connections: dict[uuid.UUID, int]) -> None:
        """A personal round: no broadcast to the students (each has their own fact)."""
        await self._staff(room_id, "question", staff)
        await self._each_own("question", mine, connections)

    async def personal_question_closed(self, room_id: uuid.UUID, staff: dict,
                                       mine: dict[uuid.UUID, dict],
                                       connections: dict[uuid.UUID, int]) -> None:
        await self._staff(room_id, "question_closed", staff)
        await self._each_own("question_closed", mine, connections)

    async def answer_progress(self, room_id: uuid.UUID, payload: dict) -> None:
        await self._staff(room_id, "answer_progress", payload)

    async def live_leaderboard(self, room_id: uuid.UUID, payload: dict) -> None:
        """While answers arrive: one broadcast to the teacher and the projector. Students get
        their own copy, with `you`, when the question closes."""
        await self._staff(room_id, "leaderboard", payload)

    async def question_closed(self, room_id: uuid.UUID, payload: dict) -> None:
        await self._everyone(room_id, "question_closed", payload)

    async def leaderboard(self, room_id: uuid.UUID, common: dict, yours: dict[uuid.UUID, dict],
                          connections: dict[uuid.UUID, int]) -> None:
        await self._staff(room_id, "leaderboard", common)
        await self._each_player("leaderboard", common, yours, connections)

    async def game_over(self, room_id: uuid.UUID, common: dict, yours: dict[uuid.UUID, dict],
                        connections: dict[uuid.UUID, int]) -> None:
        await self._staff(room_id, "game_over", common)
        await self._each_player("game_over", common, yours, connections)

    async def kicked(self, room_id: uuid.UUID, player_id: uuid.UUID, reason: str) -> None:
        room = player_room(player_id)
        await self._sio.emit("kicked", {"reason": reason}, to=room, namespace=PLAY)
        # Leaving the rooms first means nothing more reaches the kicked connections, even
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
