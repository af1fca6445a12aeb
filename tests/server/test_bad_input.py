"""Bad input: every refusal has its code, and the room plays on."""

from __future__ import annotations

import asyncio
import time

import pytest

from server.live.namespace_base import ROOM_NOT_FOUND_FLOOR_S
from tests.support import factories
from tests.support.live_clients import LiveClient, Refused, connect_host, connect_student, new_attempt


@pytest.fixture
async def game(live_url, db):
    teacher, token = await factories.make_teacher_with_token(db)
    room = await factories.make_room(db, teacher, question_count=2, time_limit_ms=30_000)
    host = await connect_host(live_url, token, room["room_id"])
    ada = await connect_student(live_url, room["code"], "Ada")
    bo = await connect_student(live_url, room["code"], "Bo")
    yield {"room": room, "host": host, "ada": ada, "bo": bo, "token": token, "teacher": teacher}
    for client in (host, ada, bo):
        if client.sio.connected:
            await asyncio.wait_for(client.disconnect(), 5)


async def started(game) -> dict:
    assert (await game["host"].call("start"))["ok"]
    return await game["ada"].wait_for("question")


async def assert_plays_on(game, question) -> None:
    """Both students can still answer and the question closes normally."""
    right = str(question["operand1"] * question["operand2"])
    for student in (game["ada"], game["bo"]):
        if student.sio.connected and not student.last("question_closed"):
            ack = await student.call("answer", {"index": question["index"], "answer": right,
                                                "attempt_id": new_attempt()})
            assert ack["ok"] or ack["error"]["code"] == "already_answered", ack
    closed = await game["host"].wait_for("question_closed")
    assert closed["index"] == question["index"]


@pytest.mark.parametrize("payload", [
    None, {}, [], "56", 56,
    {"index": 0, "answer": "1"},                                         # no attempt_id
    {"index": 0, "attempt_id": "00000000-0000-4000-8000-000000000000"},  # no answer
    {"index": "0", "answer": "1", "attempt_id": "00000000-0000-4000-8000-000000000001"},
    {"index": 0, "answer": 1, "attempt_id": "00000000-0000-4000-8000-000000000002"},
    {"index": 0, "answer": "1", "attempt_id": "not-a-uuid"},
    {"index": 0, "answer": "1", "attempt_id": "00000000-0000-4000-8000-000000000003", "x": 1},
    {"index": 0, "answer": "1", "attempt_id": "00000000-0000-4000-8000-000000000004",
     "input_method": "telepathy"},
    {"index": True, "answer": "1", "attempt_id": "00000000-0000-4000-8000-000000000005"},
    {"index": -1, "answer": "1", "attempt_id": "00000000-0000-4000-8000-000000000006"},
])
async def test_malformed_answers_are_invalid_payload(game, payload):
    question = await started(game)
    ack = await game["ada"].call("answer", payload)
    assert ack == {"ok": False, "error": {"code": "invalid_payload", "message": ack["error"]["message"]}}
    await assert_plays_on(game, question)


async def test_answer_refusals(game):
    question = await started(game)
    ada = game["ada"]
    for raw, index, code in [("seven", 0, "invalid_answer"), ("1e3", 0, "invalid_answer"),
                             ("", 0, "invalid_answer"), ("5", 1, "wrong_index"), ("5", 7, "wrong_index")]:
        ack = await ada.call("answer", {"index": index, "answer": raw, "attempt_id": new_attempt()})
        assert ack["error"]["code"] == code, (raw, index, ack)
    two_args = await ada.sio.call("answer", ({"index": 0}, 1), namespace="/play", timeout=5)
    assert two_args["error"]["code"] == "invalid_payload"
    await assert_plays_on(game, question)


async def test_no_open_question_in_the_lobby(game):
    ack = await game["ada"].call("answer", {"index": 0, "answer": "1", "attempt_id": new_attempt()})
    assert ack["error"]["code"] == "no_open_question"


@pytest.mark.parametrize("event", ["start", "next", "close_question", "end", "kick", "lock"])
async def test_host_events_on_play_are_forbidden(game, event):
    ack = await game["ada"].call(event, {})
    assert ack["error"]["code"] == "forbidden"
    assert (await game["ada"].call("nonsense", {}))["error"]["code"] == "unknown_event"


async def test_host_controls_validate_and_check_phase(game):
    host = game["host"]
    assert (await host.call("next"))["error"]["code"] == "invalid_phase"
    assert (await host.call("close_question"))["error"]["code"] == "invalid_phase"
    assert (await host.call("start", {"x": 1}))["error"]["code"] == "invalid_payload"
    assert (await host.call("kick", {}))["error"]["code"] == "invalid_payload"
    assert (await host.call("kick", {"player_id": "nope"}))["error"]["code"] == "invalid_payload"
    assert (await host.call("kick", {"player_id": new_attempt()}))["error"]["code"] == "not_found"
    assert (await host.call("lock", {"locked": "yes"}))["error"]["code"] == "invalid_payload"
    assert (await host.call("lock", {}))["error"]["code"] == "invalid_payload"
    question = await started(game)
    assert (await host.call("start"))["error"]["code"] == "invalid_phase"
    assert (await host.call("next"))["error"]["code"] == "invalid_phase"
    await assert_plays_on(game, question)


async def test_oversized_message_closes_only_that_connection(game):
    question = await started(game)
    bo = game["bo"]
    with pytest.raises(Exception):  # noqa: B017 (the connection drops: timeout or disconnect)
        await bo.sio.call("answer", {"index": 0, "answer": "x" * 20_000, "attempt_id": new_attempt()},
                          namespace="/play", timeout=2)
    for _ in range(50):
        if not bo.sio.connected:
            break
        await asyncio.sleep(0.05)
    assert not bo.sio.connected
    await assert_plays_on(game, question)  # Ada answers; Bo is gone, so the question closes


async def test_message_flood_is_rate_limited_and_the_room_plays_on(game):
    question = await started(game)
    acks = await asyncio.gather(*(game["bo"].call("state") for _ in range(60)))
    refused = [a["error"] for a in acks if not a["ok"]]
    assert refused and {e["code"] for e in refused} == {"rate_limited"}
    # Each says when the bucket has a message again: 10 a second, so within about 0.1 s.
    assert all(1 <= e["retry_after_ms"] <= 101 for e in refused), refused
    await asyncio.sleep(0.3)  # the bucket refills
    await assert_plays_on(game, question)


async def test_join_refusals(game, live_url, live_server, db):
    code = game["room"]["code"]
    cases = [({"code": code, "nickname": "  "}, "invalid_nickname"),
             ({"code": code, "nickname": "x" * 21}, "invalid_nickname"),
             ({"code": code, "nickname": "sh1t"}, "invalid_nickname"),
             ({"code": code, "nickname": "ADA"}, "nickname_taken"),
             ({"code": code, "nickname": "A", "extra": 1}, "invalid_payload"),
             ({"code": code, "student_key": "NOPE"}, "unauthorized"),
             ({"rejoin_token": "forged"}, "room_not_found"),
             ("not an object", "invalid_payload")]
    for auth, code_expected in cases:
        with pytest.raises(Refused) as refused:
            await LiveClient(live_url, "/play").connect(auth)
        assert refused.value.code == code_expected, auth
    assert (await game["host"].call("lock", {"locked": True}))["ok"]
    with pytest.raises(Refused) as refused:
        await LiveClient(live_url, "/play").connect({"code": code, "nickname": "Cy"})
    assert refused.value.code == "room_locked"


async def test_guessed_codes_are_indistinguishable(game, live_url, db):
    teacher = game["teacher"]
    finished = await factories.make_room(db, teacher)
    async with db.engine.begin() as conn:
        from sqlalchemy import text

        await conn.execute(text("UPDATE rooms SET status = 'finished', finished_at = now() - "
                                "interval '1 day' WHERE id = :r"), {"r": finished["room_id"]})
    answers = []
    for guess in ("000000" if game["room"]["code"] != "000000" else "000001", finished["code"]):
        started_at = time.monotonic()
        with pytest.raises(Refused) as refused:
            await LiveClient(live_url, "/play").connect({"code": guess, "nickname": "Guess"})
        answers.append((refused.value.code, refused.value.message))
        assert time.monotonic() - started_at >= ROOM_NOT_FOUND_FLOOR_S
    assert answers[0] == answers[1] == ("room_not_found", "room not found")


async def test_host_and_screen_refusals(game, live_url, db):
    room = game["room"]
    _, other_token = await factories.make_teacher_with_token(db)
    cases = [("/host", {"token": "wrong", "room_id": str(room["room_id"])}, "unauthorized"),
             ("/host", {"token": other_token, "room_id": str(room["room_id"])}, "forbidden"),
             ("/host", {"token": other_token, "room_id": new_attempt()}, "room_not_found"),
             ("/host", {}, "unauthorized"),
             ("/screen", {"code": room["code"], "screen_key": "wrong"}, "room_not_found"),
             ("/screen", {"code": "000000" if room["code"] != "000000" else "000001",
                          "screen_key": "x"}, "room_not_found")]
    for namespace, auth, code in cases:
        with pytest.raises(Refused) as refused:
            await LiveClient(live_url, namespace).connect(auth)
        assert refused.value.code == code, (namespace, auth)
    screen = await LiveClient(live_url, "/screen").connect({"code": room["code"],
                                                            "screen_key": room["screen_key"]})
    lobby = await screen.wait_for("lobby")
    assert lobby["count"] == 2
    question = await started(game)
    assert (await screen.wait_for("question"))["index"] == 0
    await assert_plays_on(game, question)
    assert (await screen.wait_for("leaderboard"))["players"] == 2
    await screen.disconnect()
