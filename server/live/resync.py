"""Re-send each room's state to this worker's connections once its broadcasts flow again.

While this worker's Socket.IO subscription to Redis is broken (Redis restarted or failed
over), every broadcast meant for its clients is lost: a question opened by the room's owner
meanwhile (on this worker or another, which may be a new owner by then) never reaches them,
and a page only asks for the state when it reconnects, which these did not. So when the
subscription is back (server/live/redis_manager.py), the worker asks each room with
connections here for the current state, from whichever worker owns the room, and sends it
to them: each player their own `state` (as on a rejoin), the teacher's console and the
projector `lobby` and `state` (as when they connect). Broadcasts published after the
subscription came back arrive as usual.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

from rooms.commands import ShowStates
from rooms.gateway import RoomGateway
from rooms.room import RoomError
from server.live.emits import Emitter
from server.live.player_connections import PlayerConnections

log = logging.getLogger(__name__)

# The room's owner may itself be taking its room back, or the workers' request channel may
# not be subscribed again yet: a room's state is asked for again until this long has passed.
RESYNC_WITHIN_S = 15.0
RESYNC_RETRY_S = 0.5


class StateResync:
    def __init__(self, gateway: RoomGateway, connections: PlayerConnections, emitter: Emitter) -> None:
        self._gateway = gateway
        self._connections = connections
        self._emitter = emitter
        self._running = asyncio.Lock()

    async def resend_all(self) -> None:
        """Every room with connections here: its current state to them."""
        async with self._running:  # two breaks in a row: one resend after the other
            started = time.monotonic()
            staffed = self._emitter.rooms_with_staff_here()
            rooms = set(self._connections.rooms_here()) | staffed
            sent = await asyncio.gather(*(self._resend(r, r in staffed) for r in rooms))
            log.warning("Socket.IO broadcasts flow again: the state of %d of %d rooms re-sent to "
                        "%d connections here in %.2f s", sum(1 for n in sent if n is not None),
                        len(rooms), sum(n or 0 for n in sent), time.monotonic() - started)

    async def _resend(self, room_id: uuid.UUID, staff: bool) -> int | None:
        """The room's state to its connections here: how many got it (None: the room could
        not be asked within RESYNC_WITHIN_S)."""
        deadline = time.monotonic() + RESYNC_WITHIN_S
        while True:
            players = tuple(self._connections.here(room_id))
            try:
                states = await self._gateway.run(ShowStates(room_id, players, staff=staff))
                break
            except RoomError as exc:
                if exc.code != "unavailable" or time.monotonic() >= deadline:
                    log.warning("room %s: its state not re-sent (%s: %s)", room_id, exc.code, exc.message)
                    return None
            except Exception as exc:  # PostgreSQL away while the room is taken over: try again
                if time.monotonic() >= deadline:
                    log.warning("room %s: its state not re-sent (%s)", room_id, exc)
                    return None
            await asyncio.sleep(RESYNC_RETRY_S)
        sent = 0
        if states.staff_lobby is not None:
            await self._emitter.to_staff_here(room_id, "lobby", states.staff_lobby)
        if states.staff_state is not None:
            sent += await self._emitter.to_staff_here(room_id, "state", states.staff_state)
        for player_id, state in states.players.items():
            sent += await self._emitter.to_player_here(player_id, "state", state)
        return sent
