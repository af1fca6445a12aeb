"""A room with personal rounds, played by real clients: on the same tick each student gets
their own fact from the track (a due review for one, a new fact for the other), answers it,
and the database records each answer against the fact that student was shown."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import aiohttp
from sqlalchemy import text

from server import app_keys
from tests.persistence.curriculum.helpers import set_progress
from tests.support import factories
from tests.support.live_clients import LiveClient, connect_host, connect_screen, connect_student, new_attempt


async def _personal_room(db, question_count=2):
    track_id, facts = await factories.make_track(db, "×", size=3)  # 9 facts, in track order
    teacher, token = await factories.make_teacher_with_token(db)
    room = await factories.make_room(db, teacher, operation="×", question_count=question_count,
                                     time_limit_ms=20_000, track_id=track_id, personal=True)
    return room, token, teacher, facts


async def _question_ids(db, sql, room_id):
    async with db.engine.connect() as conn:
        return (await conn.execute(text(sql), {"r": room_id})).all()


async def test_two_students_get_their_own_facts_on_the_same_tick(live_url, db):
    room, token, teacher, facts = await _personal_room(db)
    # Ada (on the roster) has a review of 2 × 3 due since yesterday; Bob, a guest, is new.
    ada_user, ada_key = await factories.make_roster_student(db, teacher, "Ada")
    due = facts[5]
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    await set_progress(db, ada_user, due["id"], total=3, correct=3, avg_ms=1500, next_review=yesterday)

    host = await connect_host(live_url, token, room["room_id"])
    screen = await connect_screen(live_url, room["code"], room["screen_key"])
    ada = await LiveClient(live_url, "/play").connect({"code": room["code"], "student_key": ada_key})
    bob = await connect_student(live_url, room["code"], "Bob")
    assert (await host.call("start"))["ok"]

    mine, his = await ada.wait_for("question"), await bob.wait_for("question")
    assert mine["question_id"] == str(due["id"]) and mine["personal"] is True
    assert (mine["operand1"], mine["operand2"], mine["prompt"]) == (2, 3, "2 × 3")
    assert his["question_id"] == str(facts[0]["id"])  # new facts come in track order
    assert mine["closes_at"] == his["closes_at"] and mine["index"] == his["index"] == 0
    for staff in (host, screen):  # the round, never anyone's fact
        shown = await staff.wait_for("question")
        assert shown["personal"] is True and shown["prompt"] == "Personal round"
        assert shown["question_id"] is None and shown["operand1"] is None and shown["operand2"] is None
        assert shown["closes_at"] == mine["closes_at"]
    assert len(ada.received["question"]) == 1 and len(bob.received["question"]) == 1

    ada_ack = await ada.call("answer", {"index": 0, "answer": "6", "attempt_id": new_attempt()})
    assert ada_ack["ok"] and ada_ack["is_correct"] and ada_ack["correct_answer"] == 6, ada_ack
    taken = await ada.call("answer", {"index": 0, "answer": "6", "attempt_id": new_attempt()})
    assert taken["error"]["code"] == "already_answered"
    bob_attempt = new_attempt()
    bob_ack = await bob.call("answer", {"index": 0, "answer": "6", "attempt_id": bob_attempt})
    assert bob_ack["ok"] and not bob_ack["is_correct"] and bob_ack["correct_answer"] == 1, bob_ack
    again = await bob.call("answer", {"index": 0, "answer": "1", "attempt_id": bob_attempt})
    assert again == {**bob_ack, "duplicate": True}
    late = await bob.call("answer", {"index": 0, "answer": "1", "attempt_id": new_attempt()})
    assert late["error"]["code"] == "too_late"  # both answered: the round closed

    # Everyone answered: the round closes; each student hears their own answer.
    closed_ada, closed_bob = await ada.wait_for("question_closed"), await bob.wait_for("question_closed")
    assert closed_ada["correct_answer"] == 6 and closed_bob["correct_answer"] == 1
    for closed in (closed_ada, closed_bob, await host.wait_for("question_closed"),
                   await screen.wait_for("question_closed")):
        assert (closed["answered"], closed["correct"], closed["personal"]) == (2, 1, True)
    assert host.last("question_closed")["correct_answer"] is None

    rows = await _question_ids(db, (
        "SELECT p.nickname, a.question_id, a.is_correct FROM answer_attempts a "
        "JOIN room_players p ON p.session_id = a.session_id WHERE p.room_id = :r "
        "ORDER BY p.nickname"), room["room_id"])
    assert [tuple(r) for r in rows] == [("Ada", due["id"], True), ("Bob", facts[0]["id"], False)]
    dealt = await _question_ids(db, (
        "SELECT p.nickname, pq.question_id FROM room_personal_questions pq "
        "JOIN room_players p ON p.id = pq.player_id WHERE pq.room_id = :r ORDER BY p.nickname"),
        room["room_id"])
    assert [tuple(r) for r in dealt] == [("Ada", due["id"]), ("Bob", facts[0]["id"])]
    async with db.engine.connect() as conn:  # the answer went through the whole flow
        progress = await conn.scalar(text(
            "SELECT total_attempts FROM question_progress WHERE user_id = :u AND question_id = :q"),
            {"u": ada_user, "q": due["id"]})
    assert progress == 4

    # Next round: never the fact just had. Bob got 1 × 1 wrong (his weakest now), but it was
    # his last fact, so the next new one comes; Ada's review is done.
    await host.call("next")
    mine = await ada.wait_for("question", 2)
    his = await bob.wait_for("question", 2)
    assert mine["index"] == his["index"] == 1
    assert mine["question_id"] != str(due["id"]) and his["question_id"] == str(facts[1]["id"])

    # Bob comes back mid-round (a page reload): his own question is in `state`.
    await bob.disconnect()
    bob = await LiveClient(live_url, "/play").connect({"rejoin_token": bob.last("joined")["rejoin_token"]})
    state = await bob.wait_for("state")
    assert state["question"]["question_id"] == his["question_id"] and state["question"]["personal"]
    host_state = await host.call("state")
    assert host_state["question"]["prompt"] == "Personal round"
    for client in (host, screen, ada, bob):
        await client.disconnect()


async def test_a_late_joiner_gets_their_own_fact_in_state_and_the_report_aggregates_rounds(
        live_url, db):
    room, token, _teacher, facts = await _personal_room(db, question_count=1)
    host = await connect_host(live_url, token, room["room_id"])
    ada = await connect_student(live_url, room["code"], "Ada")
    await host.call("start")
    first = await ada.wait_for("question")
    cy = await connect_student(live_url, room["code"], "Cy")  # joined while the round is open
    late = cy.last("state")["question"]
    assert late["personal"] and late["question_id"] == str(facts[0]["id"])
    assert late["closes_at"] == first["closes_at"]
    assert (await ada.call("answer", {"index": 0, "answer": "1", "attempt_id": new_attempt()}))["ok"]
    assert (await cy.call("answer", {"index": 0, "answer": "7", "attempt_id": new_attempt()}))["ok"]
    await host.wait_for("question_closed")
    await host.call("next")
    await host.wait_for("game_over")

    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{live_url}/api/rooms/{room['room_id']}/report", headers=headers) as resp:
            assert resp.status == 200
            report = await resp.json()
        async with http.get(f"{live_url}/api/rooms/{room['room_id']}/report?format=csv&part=questions",
                            headers=headers) as resp:
            csv_text = await resp.text()
    assert report["room"]["personal"] is True
    assert report["questions"] == [{
        "index": 0, "question_id": None, "prompt": "Personal round", "correct_answer": None,
        "answered": 2, "correct": 1, "percent_correct": 50.0,
        "average_response_time_ms": report["questions"][0]["average_response_time_ms"]}]
    by_name = {a["nickname"]: a for a in report["attempts"]}
    assert by_name["Ada"]["prompt"] == "1 × 1" and by_name["Ada"]["is_correct"]
    assert by_name["Cy"]["prompt"] == "1 × 1" and by_name["Cy"]["correct_answer"] == 1
    assert "Personal round" in csv_text
    for client in (host, ada, cy):
        await client.disconnect()


async def _until_disconnected(server, room_id, player_id: str) -> None:
    """Waits until the (in-process) server has handled the player's disconnect."""
    game = await server.app[app_keys.LIVE].registry.by_id(uuid.UUID(str(room_id)))
    player = game.room.players[uuid.UUID(player_id)]
    for _ in range(500):
        if player.connections == 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the server did not see the player leave")


async def test_a_restarted_server_gives_each_student_back_their_own_fact(
        database_url, redis_url, redis_prefix, db):
    from tests.server.test_rejoin import start_server

    room, token, teacher, facts = await _personal_room(db)
    ada_user, ada_key = await factories.make_roster_student(db, teacher, "Ada")
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    await set_progress(db, ada_user, facts[4]["id"], total=2, correct=2, avg_ms=1500, next_review=yesterday)
    server, url = await start_server(database_url, redis_url, redis_prefix)
    try:
        host = await connect_host(url, token, room["room_id"])
        ada = await LiveClient(url, "/play").connect({"code": room["code"], "student_key": ada_key})
        bob = await connect_student(url, room["code"], "Bob")
        await host.call("start")
        mine, his = await ada.wait_for("question"), await bob.wait_for("question")
        assert mine["question_id"] == str(facts[4]["id"]) and his["question_id"] == str(facts[0]["id"])
        first = await ada.call("answer", {"index": 0, "answer": "4", "attempt_id": new_attempt()})
        assert first["ok"] and first["is_correct"], first
        tokens = {c: c.last("joined")["rejoin_token"] for c in (ada, bob)}
        # Ada must be gone before Bob leaves: the other way round, Ada would for a moment be
        # the only connected player and, having answered, close the question.
        await host.disconnect()
        await ada.disconnect()
        await _until_disconnected(server, room["room_id"], ada.last("joined")["player_id"])
        await bob.disconnect()
    finally:
        await server.close()

    server, url = await start_server(database_url, redis_url, redis_prefix)
    try:
        bob_again = await LiveClient(url, "/play").connect({"rejoin_token": tokens[bob]})
        state = await bob_again.wait_for("state")
        assert state["phase"] == "question" and state["question"]["question_id"] == his["question_id"]
        assert state["question"]["personal"] is True
        ada_again = await LiveClient(url, "/play").connect({"rejoin_token": tokens[ada]})
        ada_state = await ada_again.wait_for("state")
        assert ada_state["answered_current"] and ada_state["score"] == first["score"]
        assert ada_state["question"]["question_id"] == mine["question_id"]
        ack = await bob_again.call("answer", {"index": 0, "answer": "1", "attempt_id": new_attempt()})
        assert ack["ok"] and ack["is_correct"], ack  # checked against his own fact, 1 × 1
        async with db.engine.connect() as conn:
            stored = await conn.scalar(text(
                "SELECT a.question_id FROM answer_attempts a JOIN room_players p "
                "ON p.session_id = a.session_id WHERE p.room_id = :r AND p.nickname = 'Bob'"),
                {"r": room["room_id"]})
        assert stored == facts[0]["id"]
        for client in (ada_again, bob_again):
            await client.disconnect()
    finally:
        await server.close()
