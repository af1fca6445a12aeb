"""Guests joining at once share statements (persistence/guest_batch.py) and each still gets
its own outcome: stored, fenced out, or its own error."""

from __future__ import annotations

import asyncio
import json
import uuid

import asyncpg
import pytest
from sqlalchemy import text

from persistence import guest_batch
from persistence.database import Timeouts, create_database
from persistence.guest_batch import GuestBatcher, NewGuest, StoredGuest
from persistence.room_store import PostgresRoomStore
from tests.support import factories


class CountingBatcher(GuestBatcher):
    """Records how many guests each statement carried."""

    def __init__(self, db) -> None:
        super().__init__(db)
        self.statements: list[int] = []

    async def _send(self, waiting) -> None:
        self.statements.append(len(waiting))
        await super()._send(waiting)


async def _room(db) -> tuple[uuid.UUID, int]:
    teacher = (await factories.make_teacher_with_token(db))[0]
    room_id = (await factories.make_room(db, teacher, team_names=("Red", "Blue")))["room_id"]
    claimed = await PostgresRoomStore(db).claim(room_id, "test-worker")
    assert claimed is not None
    return room_id, claimed.epoch


def _guest(room_id: uuid.UUID, epoch: int, join_order: int, *, team: int | None = None) -> NewGuest:
    return NewGuest(room_id, epoch, f"guest-{uuid.uuid4().hex[:24]}",
                    json.dumps({"room_id": str(room_id)}), 3, f"Kid {join_order}", join_order, team,
                    0)


async def _stored_players(db, room_id: uuid.UUID) -> list[tuple]:
    async with db.engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(text(
            "SELECT p.id, p.user_id, p.session_id, p.nickname, p.join_order, p.team_index, "
            "u.role, s.mode, s.total_questions, s.config->>'room_id' "
            "FROM room_players p JOIN users u ON u.id = p.user_id "
            "JOIN practice_sessions s ON s.id = p.session_id "
            "WHERE p.room_id = :r ORDER BY p.join_order"), {"r": room_id})).all()]


async def test_guests_joining_at_once_share_statements_and_are_each_stored(db):
    batcher = CountingBatcher(db)
    rooms = [await _room(db) for _ in range(3)]
    guests = [_guest(room_id, epoch, order, team=order % 2)
              for room_id, epoch in rooms for order in range(1, 21)]
    outcomes = await asyncio.gather(*(batcher.insert(g) for g in guests))
    assert all(isinstance(o, StoredGuest) for o in outcomes)
    assert sum(batcher.statements) == 60 and len(batcher.statements) < 60
    for room_id, _ in rooms:
        rows = await _stored_players(db, room_id)
        assert [r[4] for r in rows] == list(range(1, 21))
        mine = {(o.player_id, o.user_id, o.session_id)
                for g, o in zip(guests, outcomes, strict=True) if g.room_id == room_id and o}
        assert {(r[0], r[1], r[2]) for r in rows} == mine
        assert all(r[3] == f"Kid {r[4]}" and r[5] == r[4] % 2 for r in rows)
        assert {r[6:] for r in rows} == {("guest", "live", 3, str(room_id))}


async def test_a_guest_of_a_room_that_moved_is_fenced_out_alone(db):
    batcher = CountingBatcher(db)
    (kept, kept_epoch), (moved, stale_epoch) = await _room(db), await _room(db)
    assert await PostgresRoomStore(db).claim(moved, "another-worker") is not None
    outcomes = await asyncio.gather(batcher.insert(_guest(kept, kept_epoch, 1)),
                                    batcher.insert(_guest(kept, kept_epoch, 2)),
                                    batcher.insert(_guest(moved, stale_epoch, 1)),
                                    batcher.insert(_guest(kept, kept_epoch, 3)))
    assert [o is None for o in outcomes] == [False, False, True, False]
    assert [r[4] for r in await _stored_players(db, kept)] == [1, 2, 3]
    assert await _stored_players(db, moved) == []
    async with db.engine.connect() as conn:   # nor a user or session of the fenced-out guest
        orphans = await conn.scalar(text(
            "SELECT count(*) FROM users u WHERE u.role = 'guest' "
            "AND NOT EXISTS (SELECT 1 FROM room_players p WHERE p.user_id = u.id)"))
    assert orphans == 0


async def test_a_guest_whose_row_fails_fails_alone(db):
    """Two guests with one join order: the statement fails, each guest is sent again alone,
    and only the second of the pair gets the error."""
    batcher = CountingBatcher(db)
    room_id, epoch = await _room(db)
    first = asyncio.create_task(batcher.insert(_guest(room_id, epoch, 1)))
    await asyncio.sleep(0)   # out alone; the next four wait and go together
    rest = [asyncio.create_task(batcher.insert(_guest(room_id, epoch, order)))
            for order in (2, 3, 3, 4)]
    await first
    outcomes = await asyncio.gather(*rest, return_exceptions=True)
    assert isinstance(outcomes[2], asyncpg.UniqueViolationError)
    assert all(isinstance(o, StoredGuest) for i, o in enumerate(outcomes) if i != 2)
    assert batcher.statements == [1, 4]
    assert [r[4] for r in await _stored_players(db, room_id)] == [1, 2, 3, 4]


async def test_a_timeout_fails_the_statements_guests_without_sending_each_again(
        database_url, db, monkeypatch):
    """An error no single guest's row causes (here PostgreSQL's statement timeout, the room's
    row held by another transaction) fails every guest of the statement at once."""
    quick = create_database(database_url, pool_size=2, timeouts=Timeouts(statement_ms=300))
    sent: list[int] = []
    real_insert = guest_batch._insert

    async def counted_insert(driver, guests):
        sent.append(len(guests))
        return await real_insert(driver, guests)

    monkeypatch.setattr(guest_batch, "_insert", counted_insert)
    try:
        batcher = GuestBatcher(quick)
        room_id, epoch = await _room(db)
        async with db.engine.begin() as conn:
            await conn.execute(text("SELECT 1 FROM rooms WHERE id = :r FOR UPDATE"), {"r": room_id})
            outcomes = await asyncio.gather(
                *(batcher.insert(_guest(room_id, epoch, order)) for order in range(1, 5)),
                return_exceptions=True)
        assert all(isinstance(o, asyncpg.QueryCanceledError) for o in outcomes)
        assert sent == [4]
        assert await _stored_players(db, room_id) == []
    finally:
        await quick.dispose()


async def test_a_cancelled_join_still_stores_its_guest_and_the_others(db):
    batcher = CountingBatcher(db)
    room_id, epoch = await _room(db)
    joins = [asyncio.create_task(batcher.insert(_guest(room_id, epoch, order)))
             for order in range(1, 6)]
    await asyncio.sleep(0)
    joins[3].cancel()
    with pytest.raises(asyncio.CancelledError):
        await joins[3]
    for kept in joins[:3] + joins[4:]:
        assert isinstance(await kept, StoredGuest)
    assert batcher.statements == [5]   # the cancelled guest went with the others
    assert [r[4] for r in await _stored_players(db, room_id)] == [1, 2, 3, 4, 5]
