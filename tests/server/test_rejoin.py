"""Rejoin: same player, score and streak, and a `state` event; across a server restart too."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestServer

from rooms.keys import room_board_key
from server.app import create_app
from tests.support import factories
from tests.support.live_clients import (
    LiveClient,
    Refused,
    connect_host,
    connect_student,
    live_settings,
    new_attempt,
)


async def start_server(database_url, redis_url, redis_prefix) -> tuple[TestServer, str]:
    server = TestServer(create_app(live_settings(database_url, redis_url, redis_prefix)), host="127.0.0.1")
    await server.start_server()
    return server, str(server.make_url("/")).rstrip("/")


async def test_rejoin_after_a_server_restart(database_url, redis_url, redis_prefix, redis, db):
    teacher, token = await factories.make_teacher_with_token(db)
    room = await factories.make_room(db, teacher, question_count=3, time_limit_ms=60_000)
    server, url = await start_server(database_url, redis_url, redis_prefix)
    host = await connect_host(url, token, room["room_id"])
    ada = await connect_student(url, room["code"], "Ada")
    bo = await connect_student(url, room["code"], "Bo")
    await host.call("start")
    question = await ada.wait_for("question")
    right = str(question["operand1"] * question["operand2"])
    first = await ada.call("answer", {"index": 0, "answer": right, "attempt_id": new_attempt()})
    await bo.call("answer", {"index": 0, "answer": "-5", "attempt_id": new_attempt()})
    await host.wait_for("question_closed")
    await host.call("next")
    await ada.wait_for("question", predicate=lambda d: d["index"] == 1)
    joined = ada.last("joined")
    for client in (host, ada, bo):
        await client.disconnect()
    await server.close()
    await redis.delete(room_board_key(redis_prefix, room["room_id"]))  # and Redis lost the board

    server, url = await start_server(database_url, redis_url, redis_prefix)
    try:
        again = await LiveClient(url, "/play").connect({"rejoin_token": joined["rejoin_token"]})
        state = await again.wait_for("state")
        back = again.last("joined")
        assert back["player_id"] == joined["player_id"]
        assert (back["score"], back["streak"]) == (first["score"], 1)
        assert (state["phase"], state["index"], state["answered_current"]) == ("question", 1, False)
        assert state["rank"] == 1 and state["question"]["index"] == 1
        host = await connect_host(url, token, room["room_id"])
        bo = await LiveClient(url, "/play").connect({"rejoin_token": bo.last("joined")["rejoin_token"]})
        q1 = state["question"]
        ack = await again.call("answer", {"index": 1, "answer": str(q1["operand1"] * q1["operand2"]),
                                          "attempt_id": new_attempt()})
        assert ack["ok"] and ack["streak"] == 2 and ack["score"] > first["score"]
        retry = await again.call("answer", {"index": 0, "answer": right, "attempt_id": new_attempt()})
        assert retry["error"]["code"] == "wrong_index"
        await bo.call("answer", {"index": 1, "answer": "-5", "attempt_id": new_attempt()})
        board = await again.wait_for("leaderboard", predicate=lambda d: d["index"] == 1)
        assert board["you"] == {"rank": 1, "score": ack["score"], "streak": 2}
        assert [e["nickname"] for e in board["top"]] == ["Ada", "Bo"]
        for client in (host, again, bo):
            await client.disconnect()
    finally:
        await server.close()


async def test_rostered_student_keeps_their_player_and_user(live_url, db):
    teacher, _token = await factories.make_teacher_with_token(db)
    room = await factories.make_room(db, teacher)
    _user_id, key = await factories.make_roster_student(db, teacher, display_name="Zoë")
    first = await LiveClient(live_url, "/play").connect({"code": room["code"], "student_key": key.lower()})
    await first.wait_for("joined")
    await first.disconnect()
    second = await LiveClient(live_url, "/play").connect({"code": room["code"], "student_key": key})
    await second.wait_for("joined")
    assert second.last("joined")["player_id"] == first.last("joined")["player_id"]
    assert second.last("joined")["nickname"] == "Zoë"
    other_teacher, _ = await factories.make_teacher_with_token(db)
    other_room = await factories.make_room(db, other_teacher)
    with pytest.raises(Refused) as refused:
        await LiveClient(live_url, "/play").connect({"code": other_room["code"], "student_key": key})
    assert refused.value.code == "unauthorized"
    await second.disconnect()


async def test_finished_game_code_says_game_over(live_url, db):
    teacher, token = await factories.make_teacher_with_token(db)
    room = await factories.make_room(db, teacher)
    host = await connect_host(live_url, token, room["room_id"])
    ada = await connect_student(live_url, room["code"], "Ada")
    await host.call("start")
    assert (await host.call("end"))["ok"]
    await ada.wait_for("game_over")
    with pytest.raises(Refused) as refused:
        await LiveClient(live_url, "/play").connect({"code": room["code"], "nickname": "Late"})
    assert refused.value.code == "game_over"
    await host.disconnect()
    await ada.disconnect()


async def test_roster_name_the_room_cannot_show_becomes_student(live_url, db):
    teacher, _ = await factories.make_teacher_with_token(db)
    room = await factories.make_room(db, teacher)
    _, key = await factories.make_roster_student(db, teacher, display_name="sh1t")
    student = await LiveClient(live_url, "/play").connect({"code": room["code"], "student_key": key})
    assert (await student.wait_for("joined"))["nickname"] == "Student"
    await student.disconnect()
