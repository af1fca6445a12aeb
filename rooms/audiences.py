"""Which rooms this worker owns have every connection (teacher, projector, students) here, so
that their broadcasts need not go through Redis.

With several workers a broadcast is published on Redis for the other workers' clients; when
the room has none, that publish (and every worker decoding it) is pure cost: in a school day
of 100 rooms × 30 on one worker, sending every broadcast locally saved a tenth to a fifth of
the server's CPU per answer (docs/performance.md).

A connection's first contact with a room is always a command run by the room's owner (a
join, a rejoin, the console's or the projector's state), and it enters the room's Socket.IO
rooms only after that command's reply. So the owner knows of every connection elsewhere before
it can receive anything: a room is here-only from its first claim ever (no worker held it
before, so nobody can be connected anywhere else) until a command for it arrives from another
worker. A room claimed from an earlier owner may have connections anywhere: never here-only.
Once shared, a room stays shared while this worker holds it.
"""

from __future__ import annotations

import uuid

# rooms.owner_epoch after a room's first claim: no worker had held it before.
FIRST_EPOCH = 1


class RoomAudiences:
    def __init__(self) -> None:
        self._here_only: set[uuid.UUID] = set()

    def here_only(self, room_id: uuid.UUID) -> bool:
        """Every connection of the room is on this worker."""
        return room_id in self._here_only

    def claimed(self, room_id: uuid.UUID, epoch: int) -> None:
        if epoch == FIRST_EPOCH:
            self._here_only.add(room_id)
        else:
            self._here_only.discard(room_id)

    def reached_from_elsewhere(self, room_id: uuid.UUID) -> None:
        """A command for the room came from another worker: a connection of it is there."""
        self._here_only.discard(room_id)

    def released(self, room_id: uuid.UUID) -> None:
        """This worker no longer holds the room."""
        self._here_only.discard(room_id)

    def clear(self) -> None:
        self._here_only.clear()
