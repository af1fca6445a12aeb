"""Join codes are unique among open rooms; a finished room frees its code."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from persistence.room_catalog import MAX_CODE_ATTEMPTS, NoFreeCode, RoomSpec, create_room
from tests.support import factories

SPEC = RoomSpec(title=None, operation="+", min_operand=1, max_operand=10, track_id=None,
                question_count=5, time_limit_ms=10000, auto_advance_ms=None)


def scripted(*codes: str):
    remaining = list(codes)
    return lambda: remaining.pop(0)


async def test_a_taken_open_code_is_retried_and_a_finished_code_is_reused(db):
    teacher = await factories.make_user(db, role="teacher")
    first = await create_room(db, teacher, SPEC, screen_key="k1", make_code=scripted("424242"))
    second = await create_room(db, teacher, SPEC, screen_key="k2",
                               make_code=scripted("424242", "424242", "131313"))
    assert (first.code, second.code) == ("424242", "131313")
    async with db.sessions() as session, session.begin():
        await session.execute(text("UPDATE rooms SET status = 'finished' WHERE id = :r"),
                              {"r": first.id})
    third = await create_room(db, teacher, SPEC, screen_key="k3", make_code=scripted("424242"))
    assert third.code == "424242" and third.id != first.id


async def test_no_free_code_after_bounded_attempts(db):
    teacher = await factories.make_user(db, role="teacher")
    await create_room(db, teacher, SPEC, screen_key="k", make_code=scripted("777777"))
    with pytest.raises(NoFreeCode):
        await create_room(db, teacher, SPEC, screen_key="k",
                          make_code=scripted(*["777777"] * MAX_CODE_ATTEMPTS))
