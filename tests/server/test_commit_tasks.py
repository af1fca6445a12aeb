"""A game keeps only the commits in flight; a retry after its commit is answered from memory."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from server import app_keys
from tests.support import factories
from tests.support.live_clients import connect_host, connect_student, new_attempt


async def test_acked_commits_are_dropped_and_a_late_retry_gets_the_same_ack(live_server, live_url, db):
    teacher, token = await factories.make_teacher_with_token(db)
    room = await factories.make_room(db, teacher, question_count=1, time_limit_ms=20_000)
    host = await connect_host(live_url, token, room["room_id"])
    ada = await connect_student(live_url, room["code"], "Ada")
    bo = await connect_student(live_url, room["code"], "Bo")
    assert (await host.call("start"))["ok"]
    question = await ada.wait_for("question")
    attempt_id = new_attempt()
    payload = {"index": 0, "answer": str(question["operand1"] * question["operand2"]),
               "attempt_id": attempt_id}
    first = await ada.call("answer", payload)
    assert first["ok"] and not first["duplicate"], first

    game = await live_server.app[app_keys.LIVE].registry.by_id(uuid.UUID(str(room["room_id"])))
    assert game is not None and game._commits == {}  # nothing kept once acknowledged

    retry = await ada.call("answer", payload)
    assert retry["duplicate"] and {k: v for k, v in retry.items() if k != "duplicate"} == {
        k: v for k, v in first.items() if k != "duplicate"}
    async with db.engine.connect() as conn:
        rows = await conn.scalar(text("SELECT count(*) FROM answer_attempts WHERE attempt_id = :a"),
                                 {"a": attempt_id})
    assert rows == 1
    for client in (host, ada, bo):
        await client.disconnect()
