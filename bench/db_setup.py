"""Set rooms up straight in the database, for a server that has the live game but not yet the
teacher HTTP API (POST /api/teachers answers 404). Uses the test factories, which insert the
same rows the HTTP API does; the figures record which way the rooms were made."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.scenario import RoomRun, Scenario


async def create_rooms_in_database(database_url: str, rooms: list[RoomRun], scenario: Scenario) -> str:
    from persistence.database import create_database
    from tests.support import factories

    db = create_database(database_url, pool_size=2)
    try:
        teacher, token = await factories.make_teacher_with_token(db)
        for room in rooms:
            made = await factories.make_room(db, teacher, operation=scenario.operation, min_operand=2,
                                             max_operand=12, question_count=scenario.questions,
                                             time_limit_ms=scenario.time_limit_ms, title="storm")
            room.room_id, room.code, room.screen_key = str(made["room_id"]), made["code"], made["screen_key"]
    finally:
        await db.dispose()
    return token
