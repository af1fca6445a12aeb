"""The rooms' SQL against the real database."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sqlalchemy import text

from persistence import rooms_repo
from tests.support import factories


async def test_facts_are_found_or_created_once_even_concurrently(db):
    facts = [(7, 8, "×", Decimal(56)), (8, 7, "×", Decimal(56)), (7, 8, "×", Decimal(56))]
    first, second = await asyncio.gather(rooms_repo.find_or_create_facts(db, facts),
                                         rooms_repo.find_or_create_facts(db, facts))
    assert first == second
    assert first[0] == first[2] != first[1]
    async with db.engine.connect() as conn:
        count = await conn.scalar(text(
            "SELECT count(*) FROM questions WHERE operand1 = 7 AND operand2 = 8 AND operation = '×' "
            "AND track_id IS NULL"))
    assert count == 1


async def test_players_sessions_and_game_start(db):
    teacher, _ = await factories.make_teacher_with_token(db)
    room_info = await factories.make_room(db, teacher)
    room = await rooms_repo.room_by_id(db, room_info["room_id"])
    assert await rooms_repo.open_room_by_code(db, room.code) == room
    guest = await rooms_repo.create_player(db, room, "Ada", 1, None)
    student, _ = await factories.make_roster_student(db, teacher)
    rostered = await rooms_repo.create_player(db, room, "Bo", 2, student)
    assert await rooms_repo.create_player(db, room, "Bo again", 3, student) == rostered
    async with db.engine.connect() as conn:
        role, email = (await conn.execute(text("SELECT role, email FROM users WHERE id = :u"),
                                          {"u": guest.user_id})).one()
        mode, config = (await conn.execute(text(
            "SELECT mode, config FROM practice_sessions WHERE id = :s"), {"s": guest.session_id})).one()
    assert (role, email) == ("guest", None)
    assert mode == "live" and config["room_id"] == str(room.room_id) and config["code"] == room.code
    ids = await rooms_repo.find_or_create_facts(db, [(2, 3, "×", Decimal(6))] * 3)
    assert await rooms_repo.record_game_start(db, room.room_id, ids)
    assert not await rooms_repo.record_game_start(db, room.room_id, ids)
    assert [q.index for q in await rooms_repo.room_questions_of(db, room.room_id)] == [0, 1, 2]
    await rooms_repo.kick_player(db, guest.player_id)
    players = await rooms_repo.players_of(db, room.room_id)
    assert [(p.nickname, p.kicked) for p in players] == [("Ada", True), ("Bo", False)]
    await rooms_repo.finish_game(db, room.room_id)
    assert await rooms_repo.open_room_by_code(db, room.code) is None
