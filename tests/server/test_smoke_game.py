"""A small game end to end: host, two students, every question, the database agrees."""

from __future__ import annotations

from sqlalchemy import text

from tests.support import factories
from tests.support.live_clients import connect_host, connect_student, new_attempt


async def test_two_students_play_a_whole_game(live_url, db):
    teacher, token = await factories.make_teacher_with_token(db)
    room = await factories.make_room(db, teacher, question_count=2)
    host = await connect_host(live_url, token, room["room_id"])
    ada = await connect_student(live_url, room["code"], "Ada")
    bo = await connect_student(live_url, room["code"], "Bo")
    joined = ada.last("joined")
    assert joined["nickname"] == "Ada" and joined["room"]["phase"] == "lobby"
    lobby = await host.wait_for("lobby", predicate=lambda d: d["count"] == 2)
    assert [p["nickname"] for p in lobby["players"]] == ["Ada", "Bo"]
    assert (await host.call("start"))["ok"]
    for index in range(2):
        question = await ada.wait_for("question", predicate=lambda d, i=index: d["index"] == i)
        assert "correct_answer" not in question
        right = question["operand1"] * question["operand2"]
        ack = await ada.call("answer", {"index": index, "answer": str(right), "attempt_id": new_attempt()})
        assert ack["ok"] and ack["is_correct"] and 500 <= ack["points"] <= 1100, ack
        ack = await bo.call("answer", {"index": index, "answer": "-1", "attempt_id": new_attempt()})
        assert ack["ok"] and not ack["is_correct"] and ack["points"] == 0
        closed = await host.wait_for("question_closed", predicate=lambda d, i=index: d["index"] == i)
        assert (closed["answered"], closed["correct"]) == (2, 1)
        board = await ada.wait_for("leaderboard", predicate=lambda d, i=index: d["index"] == i)
        assert board["you"]["rank"] == 1 and board["top"][0]["nickname"] == "Ada"
        if index == 0:
            assert (await host.call("next"))["ok"]
    assert (await host.call("next"))["ok"]
    over = await bo.wait_for("game_over")
    assert over["you"]["rank"] == 2 and over["podium"][0]["nickname"] == "Ada"
    async with db.engine.connect() as conn:
        rows = await conn.scalar(text(
            "SELECT count(*) FROM answer_attempts a JOIN room_players p ON p.session_id = a.session_id "
            "WHERE p.room_id = :r"), {"r": room["room_id"]})
        status = await conn.scalar(text("SELECT status FROM rooms WHERE id = :r"), {"r": room["room_id"]})
    assert rows == 4 and status == "finished"
    for client in (host, ada, bo):
        await client.disconnect()
