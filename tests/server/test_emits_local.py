"""Which emits skip the Redis queue: per-student copies of players whose every connection
is on this worker, a connection's own welcome, and every broadcast of a room whose
connections are all here. The rest goes through the manager's queue
(tests/server/test_two_workers.py plays a game across two workers)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from rooms.audiences import RoomAudiences
from server.live.emits import HOST, PLAY, SCREEN, Emitter
from server.live.room_names import host_room, player_room, players_room, screen_room


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


async def test_a_room_with_every_connection_here_broadcasts_without_the_queue_until_reached_from_elsewhere():
    here_only, claimed_from_another = uuid.uuid4(), uuid.uuid4()
    audiences = RoomAudiences()
    audiences.claimed(here_only, epoch=1)  # its first owner ever: nobody is connected elsewhere
    audiences.claimed(claimed_from_another, epoch=2)  # its earlier owner's clients may be anywhere
    sio = RecordingServer({})
    emitter = Emitter(sio, audiences=audiences)
    for room_id in (here_only, claimed_from_another):
        await emitter.to_staff(room_id, "answer_progress", {"index": 0})
        await emitter.to_players(room_id, "question", {"index": 0})
    audiences.reached_from_elsewhere(here_only)  # a student joined through another worker
    await emitter.to_players(here_only, "question", {"index": 1})
    assert [(to, ignore) for _, to, _, ignore in sio.emits] == [
        (host_room(here_only), True), (screen_room(here_only), True), (players_room(here_only), True),
        (host_room(claimed_from_another), False), (screen_room(claimed_from_another), False),
        (players_room(claimed_from_another), False),
        (players_room(here_only), False)]


def test_a_room_is_here_only_from_its_first_claim_until_reached_from_elsewhere_or_released():
    first, second = uuid.uuid4(), uuid.uuid4()
    audiences = RoomAudiences()
    assert not audiences.here_only(first)  # not held here: unknown
    audiences.claimed(first, epoch=1)
    audiences.claimed(second, epoch=1)
    assert audiences.here_only(first) and audiences.here_only(second)
    audiences.reached_from_elsewhere(first)
    audiences.released(second)
    assert not audiences.here_only(first) and not audiences.here_only(second)
    audiences.claimed(second, epoch=3)  # held again after another worker: clients anywhere
    assert not audiences.here_only(second)
