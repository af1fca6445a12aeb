"""Which emits skip the Redis queue: per-student copies of players whose every connection
is on this worker, and a connection's own welcome. The rest goes through the manager's queue
(tests/server/test_two_workers.py plays a game across two workers)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from server.live.emits import HOST, PLAY, SCREEN, Emitter
from server.live.room_names import player_room, players_room


class RecordingServer:
    """The part of socketio.AsyncServer the Emitter uses: its emits and its local rooms."""

    def __init__(self, local: dict[uuid.UUID, int]) -> None:
        rooms = {player_room(pid): {f"sid{pid}{i}": f"eio{i}" for i in range(n)} for pid, n in local.items()}
        self.manager = SimpleNamespace(rooms={PLAY: rooms})
        self.emits: list[tuple[str, str, str, bool]] = []

    async def emit(self, event, data, *, to, namespace, ignore_queue=False) -> None:
        self.emits.append((event, to, namespace, ignore_queue))


async def test_per_student_copies_skip_the_queue_only_when_every_connection_is_here():
    here, two_tabs_one_elsewhere, elsewhere, uncounted = (uuid.uuid4() for _ in range(4))
    sio = RecordingServer({here: 1, two_tabs_one_elsewhere: 1, uncounted: 1})
    # `uncounted`: the room (rebuilt by a new owner) counts no connection of this player, so
    # one may be on another worker too.
    connections = {here: 1, two_tabs_one_elsewhere: 2, elsewhere: 1, uncounted: 0}
    yours = {pid: {"index": 0, "you": {"rank": 1}} for pid in connections}
    room_id = uuid.uuid4()
    emitter = Emitter(sio)
    await emitter.to_staff(room_id, "leaderboard", {"index": 0})
    await emitter.to_each_player("leaderboard", yours, connections)
    queued = {to: ignore for event, to, ns, ignore in sio.emits if ns == PLAY}
    assert queued == {player_room(here): True, player_room(two_tabs_one_elsewhere): False,
                      player_room(elsewhere): False, player_room(uncounted): False}
    staff = [(ns, ignore) for event, to, ns, ignore in sio.emits if ns != PLAY]
    assert staff == [(HOST, False), (SCREEN, False)]  # the teacher's screens may be anywhere


async def test_room_broadcasts_go_through_the_queue_and_welcomes_stay_local():
    pid, room_id = uuid.uuid4(), uuid.uuid4()
    sio = RecordingServer({pid: 1})
    emitter = Emitter(sio)
    await emitter.to_each_player("game_over", {pid: {"you": {"rank": 1}}}, {pid: 1})
    await emitter.to_players(room_id, "question", {"index": 0})
    await emitter.to_connection("sid1", PLAY, "joined", {})
    assert sio.emits == [("game_over", player_room(pid), PLAY, True),
                         ("question", players_room(room_id), PLAY, False),
                         ("joined", "sid1", PLAY, True)]
