"""Joins into one room run concurrently (the database writes are outside the room's lock),
yet nicknames stay unique, join orders exact, and a failed write gives its nickname back.
Real PostgreSQL and Redis; only the delivery port is a recorder."""

from __future__ import annotations

import asyncio

import pytest

from persistence.room_store import PostgresRoomStore
from rooms.clock import LoopScheduler, SystemClock
from rooms.commands import End, Welcome
from rooms.gateway import RoomGateway
from rooms.leaderboard import Leaderboards
from rooms.registry import RoomRegistry
from rooms.room import RoomError
from tests.support import factories
from tests.support.recording_broadcaster import RecordingBroadcaster


class NoAnswers:
    """Joins never submit an answer; the registry only registers its hook."""

    def on_committed(self, hook) -> None:
        pass

    async def submit(self, attempt):
        raise AssertionError("no answers in these tests")


@pytest.fixture
async def live(db, redis, redis_prefix):
    broadcaster = RecordingBroadcaster()
    store = PostgresRoomStore(db)
    registry = RoomRegistry(store=store, writer=NoAnswers(), boards=Leaderboards(redis, redis_prefix),
                            broadcaster=broadcaster, clock=SystemClock(), scheduler=LoopScheduler())
    teacher, _ = await factories.make_teacher_with_token(db)
    room = await factories.make_room(db, teacher)
    yield RoomGateway(registry), registry, broadcaster, room, teacher
    await registry.close_all()


async def players_of(db, room_id):
    return (await PostgresRoomStore(db).history(room_id)).players


async def outcome(call):
    try:
        return await call
    except RoomError as exc:
        return exc.code


async def test_a_storm_of_joins_keeps_nicknames_unique_and_join_orders_exact(live, db):
    gateway, _registry, broadcaster, room, _ = live
    names = [f"kid{i}" for i in range(40)] + ["Same"] * 6
    results = await asyncio.gather(*(outcome(gateway.join(room["code"], nickname=n)) for n in names))
    joined = [r for r in results if isinstance(r, Welcome)]
    assert len(joined) == 41 and results.count("nickname_taken") == 5
    rows = await players_of(db, room["room_id"])
    assert sorted(r.join_order for r in rows) == list(range(1, 42))
    assert len({r.nickname.casefold() for r in rows}) == 41
    assert {r.player_id for r in joined} == {r.player_id for r in rows}
    def lobbies():
        return [s.payload for s in broadcaster.of("lobby", "staff")]

    # the coalesced lobby's last report
    await broadcaster.wait_for(lambda: lobbies()[-1:] != [] and lobbies()[-1]["count"] == 41)
    assert [p["nickname"] for p in lobbies()[-1]["players"]] == [r.nickname for r in rows]


async def test_a_failed_write_gives_the_nickname_back(live, db, monkeypatch):
    gateway, registry, _, room, _ = live
    await gateway.join(room["code"], nickname="First")
    game = await registry.by_id(room["room_id"])

    async def fails(*args, **kwargs):
        raise ConnectionError("database went away")

    monkeypatch.setattr(game.store, "create_player", fails)
    with pytest.raises(ConnectionError):
        await gateway.join(room["code"], nickname="Ada")
    monkeypatch.undo()
    again = await gateway.join(room["code"], nickname="Ada")
    assert again.joined["nickname"] == "Ada"
    rows = await players_of(db, room["room_id"])
    assert [(r.nickname, r.join_order) for r in rows] == [("First", 1), ("Ada", 3)]  # a gap, never a clash
    assert [p.nickname for p in game.room.roster()] == ["First", "Ada"]


async def test_a_student_joining_twice_at_once_gets_one_player(live, db):
    gateway, _, _, room, teacher = live
    _, key = await factories.make_roster_student(db, teacher, "Bea")
    first, second = await asyncio.gather(gateway.join(room["code"], student_key=key),
                                         gateway.join(room["code"], student_key=key))
    assert first.player_id == second.player_id
    assert len(await players_of(db, room["room_id"])) == 1


async def test_open_rooms_are_found_by_code_in_memory_until_they_finish(live):
    gateway, registry, _, room, _ = live
    assert registry.open_room_id(room["code"]) is None  # not loaded: PostgreSQL is asked
    await gateway.join(room["code"], nickname="Ada")
    assert registry.open_room_id(room["code"]) == room["room_id"]
    await gateway.run(End(room["room_id"]))
    assert registry.open_room_id(room["code"]) is None
    with pytest.raises(RoomError) as refused:
        await gateway.join(room["code"], nickname="Late")
    assert refused.value.code == "game_over"
    await registry.drop(room["room_id"])
    assert registry.open_room_id(room["code"]) is None


async def test_a_full_room_refuses_cleanly_and_join_orders_past_1023_rank(live, db, monkeypatch):
    gateway, registry, _, room, _ = live
    await gateway.join(room["code"], nickname="Ada")
    game = await registry.by_id(room["room_id"])
    monkeypatch.setattr("rooms.room.ROOM_CAPACITY", 2)
    game.room._next_join_order = 5_000  # as if 4,998 had joined and left gaps
    assert (await gateway.join(room["code"], nickname="Last")).joined["nickname"] == "Last"
    with pytest.raises(RoomError) as refused:
        await gateway.join(room["code"], nickname="One too many")
    assert refused.value.code == "room_full"
    rows = await players_of(db, room["room_id"])
    assert [(r.nickname, r.join_order) for r in rows] == [("Ada", 1), ("Last", 5_000)]
    assert not game.room.nickname_taken("One too many")
    # Both on the board with no points: listed by join order, sharing the place.
    top, ranks = await game._boards.top_and_ranks(room["room_id"], [(r.player_id, r.join_order)
                                                                     for r in rows])
    assert [e.player_id for e in top] == [rows[0].player_id, rows[1].player_id]
    assert ranks == {rows[0].player_id: 1, rows[1].player_id: 1}
