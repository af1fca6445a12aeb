"""Boards after Redis lost its data: the generation marker (rooms/generation.py) tells every
worker, whoever noticed first, and the room's board and team board are rebuilt from the
record before the next read; an after-commit update that a rebuild already counted is
skipped. A fake clock, the in-memory store and writer, the boards on fakeredis."""

from __future__ import annotations

import random
import uuid

import fakeredis
import pytest

from rooms import commands
from rooms.gateway import RoomGateway
from rooms.generation import RedisGeneration
from rooms.keys import room_board_key
from rooms.leaderboard import Leaderboards
from rooms.ports import CommittedAnswer
from rooms.registry import RoomRegistry
from tests.support.fake_clock import FakeClock
from tests.support.memory_answers import InMemoryAnswerWriter
from tests.support.memory_room_store import InMemoryRoomStore
from tests.support.recording_broadcaster import RecordingBroadcaster

LIMIT = 10_000
NAMES = ("Red", "Blue")


class Worker:
    def __init__(self, store: InMemoryRoomStore, clock: FakeClock, redis: fakeredis.FakeAsyncRedis) -> None:
        self.store, self.clock, self.redis = store, clock, redis
        self.generation = RedisGeneration(redis, "test")
        self.boards = Leaderboards(redis, "test", self.generation)
        self.writer = InMemoryAnswerWriter(store)
        self.registry = RoomRegistry(store=store, writer=self.writer, boards=self.boards,
                                     broadcaster=RecordingBroadcaster(), clock=clock, scheduler=clock,
                                     rng=random.Random(3))
        self.generation.on_lost(self.registry.redis_lost)
        self.gateway = RoomGateway(self.registry)

    async def answer_all(self, room, players, index: int) -> None:
        game = await self.registry.by_id(room.room_id)
        assert game is not None
        self.clock.advance(0)
        await game.delivered()
        record = game.room.records[index]
        for n, player in enumerate(players):
            self.clock.advance(700)
            right = record.question.fact.operand1 + record.question.fact.operand2
            ack = await self.gateway.run(commands.SubmitAnswer(
                room.room_id, player.player_id, index=index, answer=str(right if n % 2 == 0 else right + 1),
                attempt_id=uuid.uuid4(), input_method="keyboard"))
            assert ack["ok"], ack


@pytest.fixture
async def worker():
    redis = fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer())
    worker = Worker(InMemoryRoomStore(), FakeClock(), redis)
    yield worker
    await worker.registry.close_all()
    await redis.aclose()


async def board_now(worker: Worker, room_id: uuid.UUID) -> dict[uuid.UUID, int]:
    top, _ = await worker.boards.top_and_ranks(room_id, [], n=100)
    return {e.player_id: e.score for e in top}


async def from_record(worker: Worker, room_id: uuid.UUID) -> dict[uuid.UUID, int]:
    return {r.player_id: r.score for r in await worker.store.board_rows(room_id)}


async def test_the_marker_starts_once_and_tells_a_loss_once(worker):
    lost: list[int] = []

    async def count() -> None:
        lost.append(1)

    worker.generation.on_lost(count)
    assert await worker.generation.check() is False  # the first look starts a generation
    assert await worker.generation.check() is False
    other = RedisGeneration(worker.redis, "test")  # another worker sees the same generation
    assert await other.check() is False
    await worker.redis.flushdb()
    assert await other.check() is True  # it notices first and starts a new generation
    assert await worker.generation.check() is True  # a value it never saw: it notices too
    assert lost == [1]
    assert await worker.generation.check() is False


async def test_a_failed_rebuild_is_tried_again_at_the_next_check(worker):
    attempts: list[int] = []

    async def flaky() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("PostgreSQL away")

    worker.generation.on_lost(flaky)
    await worker.generation.check()
    await worker.redis.flushdb()
    with pytest.raises(ConnectionError):
        await worker.generation.check()
    assert await worker.generation.check() is True
    assert len(attempts) == 2


async def test_a_board_redis_lost_is_rebuilt_before_it_is_read_again(worker):
    """One answer committed after the flush recreates the board key with that answer alone;
    the marker, not the key, tells the board is wrong: the next read rebuilds it first."""
    room = worker.store.add_room(operation="+", question_count=2, time_limit_ms=LIMIT,
                                 team_names=NAMES)
    players = [await worker.gateway.join(room.code, nickname=f"P{i}") for i in range(4)]
    await worker.gateway.run(commands.Start(room.room_id))
    await worker.answer_all(room, players[:2], 0)
    assert await board_now(worker, room.room_id) == await from_record(worker, room.room_id)

    await worker.redis.flushdb()
    await worker.answer_all(room, players[2:], 0)  # recreates the key with these two alone
    assert await worker.redis.exists(room_board_key("test", room.room_id))
    # Everyone answered, so the question closed: its team points are on the team board.
    game = await worker.registry.by_id(room.room_id)
    assert game is not None
    worker.clock.advance(0)
    await game.delivered()
    teams_before = await worker.boards.team_board(room.room_id)
    assert any(points for _, points in teams_before)
    await worker.redis.flushdb()
    await worker.redis.zincrby(room_board_key("test", room.room_id), 1, "stray")  # any key at all
    board = await board_now(worker, room.room_id)
    assert board == await from_record(worker, room.room_id)
    assert sum(board.values()) > 0
    assert await worker.boards.team_board(room.room_id) == teams_before


async def test_an_update_a_rebuild_already_counted_is_skipped(worker):
    room = worker.store.add_room(operation="+", question_count=1, time_limit_ms=LIMIT)
    players = [await worker.gateway.join(room.code, nickname=f"P{i}") for i in range(3)]
    await worker.gateway.run(commands.Start(room.room_id))
    await worker.answer_all(room, players, 0)
    expected = await from_record(worker, room.room_id)
    stored = worker.store.attempts[0]
    user = next(p.stored.user_id for p in worker.store._players.values()
                if p.stored.session_id == stored.session_id)
    await worker.registry.rebuild_board(room.room_id)
    # The after-commit update of an answer the rebuild read from the record arrives late.
    await worker.registry.on_committed([CommittedAnswer(stored.session_id, user, stored.points,
                                                        stored.response_time_ms, stored.attempt_id)])
    assert await board_now(worker, room.room_id) == expected
    # One the rebuild did not read counts.
    await worker.registry.on_committed([CommittedAnswer(stored.session_id, user, 7, 100, uuid.uuid4())])
    after = await board_now(worker, room.room_id)
    player = next(p for p in players if after[p.player_id] != expected[p.player_id])
    assert after[player.player_id] == expected[player.player_id] + 7
