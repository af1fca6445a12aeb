"""A game created from a learning track asks that track's facts, and only them."""

from __future__ import annotations

from itertools import pairwise

from sqlalchemy import text

from tests.support import factories
from tests.support.live_clients import connect_host, connect_student, new_attempt


async def test_a_track_room_asks_the_tracks_facts(live_url, db):
    track_id, facts = await factories.make_track(db, "+", size=2)
    teacher, token = await factories.make_teacher_with_token(db)
    # The room's operand range (0..12) is ignored for a track: only the track's 4 facts count.
    room = await factories.make_room(db, teacher, operation="+", min_operand=0, max_operand=12,
                                     question_count=6, track_id=track_id)
    host = await connect_host(live_url, token, room["room_id"])
    ada = await connect_student(live_url, room["code"], "Ada")
    assert (await host.call("start"))["ok"]
    question = await ada.wait_for("question")
    by_id = {str(f["id"]): f for f in facts}
    assert question["question_id"] in by_id
    fact = by_id[question["question_id"]]
    assert (question["operand1"], question["operand2"]) == (fact["operand1"], fact["operand2"])
    ack = await ada.call("answer", {"index": 0, "answer": str(fact["correct_answer"]),
                                    "attempt_id": new_attempt()})
    assert ack["ok"] and ack["is_correct"], ack
    async with db.engine.connect() as conn:
        asked = (await conn.scalars(text(
            "SELECT question_id FROM room_questions WHERE room_id = :r ORDER BY question_index"),
            {"r": room["room_id"]})).all()
    assert len(asked) == 6 and {str(q) for q in asked} <= set(by_id)
    assert {str(q) for q in asked[:4]} == set(by_id)  # every fact once before any repeats
    assert all(a != b for a, b in pairwise(asked))
    for client in (host, ada):
        await client.disconnect()
