"""While answers arrive, the teacher and the projector see the standings move."""

from __future__ import annotations

from tests.support import factories
from tests.support.live_clients import connect_host, connect_screen, connect_student, new_attempt


async def test_staff_get_a_live_leaderboard_before_the_question_closes(live_url, db):
    teacher, token = await factories.make_teacher_with_token(db)
    room = await factories.make_room(db, teacher, question_count=1, time_limit_ms=20_000)
    host = await connect_host(live_url, token, room["room_id"])
    screen = await connect_screen(live_url, room["code"], room["screen_key"])
    ada = await connect_student(live_url, room["code"], "Ada")
    bo = await connect_student(live_url, room["code"], "Bo")
    assert (await host.call("start"))["ok"]
    question = await ada.wait_for("question")
    right = str(question["operand1"] * question["operand2"])
    ack = await ada.call("answer", {"index": 0, "answer": right, "attempt_id": new_attempt()})
    assert ack["ok"] and ack["points"] > 0, ack

    # Bo has not answered, so the question is still open: the board moved without a close.
    def ada_leads(board: dict) -> bool:
        return board.get("live") is True and board["top"] and board["top"][0]["score"] == ack["points"]

    for staff in (host, screen):
        board = await staff.wait_for("leaderboard", predicate=ada_leads)
        assert board["index"] == 0 and board["top"][0]["nickname"] == "Ada"
        assert board["players"] == 2 and "you" not in board
    assert host.last("question_closed") is None
    assert bo.last("leaderboard") is None  # students get their own copy, with `you`, at close

    assert (await host.call("close_question"))["ok"]
    final = await bo.wait_for("leaderboard", predicate=lambda b: not b.get("live"))
    assert final["you"]["rank"] == 2 and final["top"][0]["score"] == ack["points"]
    for client in (host, screen, ada, bo):
        await client.disconnect()
