"""An accommodation set by the teacher reaches the live game: the student gets their own,
longer deadline on the same question (a `deadline` after the class's `question`), answers
after the class's time is up, and the class moves on together when they have; a room created
with `scoring: "accuracy"` scores every correct answer in full."""

from __future__ import annotations

import asyncio

import aiohttp

from tests.server.practice_client import enrol, teacher_auth
from tests.support import factories
from tests.support.live_clients import LiveClient, connect_host, new_attempt

LIMIT = 3000


async def test_a_student_with_double_time_answers_after_the_class_and_the_class_waits(
        live_url, clean_db):
    ann, ben = await factories.make_user(clean_db), await factories.make_user(clean_db)
    teacher, _, keys = await enrol(clean_db, ann, ben)
    auth = await teacher_auth(clean_db, teacher)
    async with aiohttp.ClientSession() as http:
        async with http.patch(f"{live_url}/api/users/{ben}/settings", headers=auth,
                              json={"time_multiplier": 2}) as resp:
            assert resp.status == 200, await resp.text()
    room = await factories.make_room(clean_db, teacher, time_limit_ms=LIMIT, question_count=1)
    host = await connect_host(live_url, auth["Authorization"].split()[1], room["room_id"])
    players = {}
    for user in (ann, ben):
        players[user] = await LiveClient(live_url, "/play").connect(
            {"code": room["code"], "student_key": keys[user]})
        await players[user].wait_for("state")
    assert (await host.call("start"))["ok"]
    question = await players[ann].wait_for("question")
    mine = await players[ben].wait_for("deadline")
    assert mine["index"] == 0 and mine["your_time_limit_ms"] == 2 * LIMIT
    assert mine["your_closes_at"] == question["closes_at"] + LIMIT
    assert not players[ann].received["deadline"]  # only the accommodated student gets one
    await asyncio.sleep(LIMIT / 1000 + 0.4)  # the class's time is up
    right = str(question["operand1"] * question["operand2"])
    late = await players[ann].call("answer", {"index": 0, "answer": right, "attempt_id": new_attempt()})
    assert not late["ok"] and late["error"]["code"] == "too_late"
    assert not host.received["question_closed"]  # the class waits for Ben, together
    ack = await players[ben].call("answer", {"index": 0, "answer": right, "attempt_id": new_attempt()})
    assert ack["ok"] and ack["is_correct"] and ack["response_time_ms"] > LIMIT
    closed = await host.wait_for("question_closed")
    assert closed["answered"] == 1 and closed["correct"] == 1
    for client in (host, *players.values()):
        await client.disconnect()


async def test_an_accuracy_room_scores_correct_answers_in_full(live_url, clean_db):
    _, token = await factories.make_teacher_with_token(clean_db)
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{live_url}/api/rooms", headers={"Authorization": f"Bearer {token}"}, json={
                "operation": "×", "min_operand": 2, "max_operand": 5, "question_count": 1,
                "time_limit_ms": 10_000, "scoring": "accuracy"}) as resp:
            created = await resp.json()
            assert resp.status == 201 and created["scoring"] == "accuracy", created
        async with http.post(f"{live_url}/api/rooms", headers={"Authorization": f"Bearer {token}"}, json={
                "operation": "×", "question_count": 1, "time_limit_ms": 10_000,
                "scoring": "luck"}) as resp:
            assert resp.status == 400
    host = await connect_host(live_url, token, created["room_id"])
    kid = await LiveClient(live_url, "/play").connect({"code": created["code"], "nickname": "Kid"})
    await kid.wait_for("state")
    await host.call("start")
    question = await kid.wait_for("question")
    await asyncio.sleep(1)  # a slower answer: in a speed room it would lose points
    ack = await kid.call("answer", {"index": 0, "attempt_id": new_attempt(),
                                    "answer": str(question["operand1"] * question["operand2"])})
    assert ack["ok"] and ack["points"] == 1000
    for client in (host, kid):
        await client.disconnect()
