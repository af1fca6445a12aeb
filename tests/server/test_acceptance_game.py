"""The acceptance scenario: 30 students, retries, late, duplicate and invalid answers, a kick,
a disconnect with rejoin; the database, the Redis board, the results and the report agree."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid

import aiohttp
from sqlalchemy import text

from rooms.leaderboard import Leaderboards
from tests.support import factories
from tests.support.live_clients import LiveClient, Refused, connect_host, connect_student, new_attempt

STUDENTS = 30
QUESTIONS = 3


def right_answer(question: dict) -> int:
    return question["operand1"] * question["operand2"]


async def test_thirty_students_full_game_everything_agrees(live_url, db, redis, redis_prefix):
    teacher, token = await factories.make_teacher_with_token(db)
    room = await factories.make_room(db, teacher, question_count=QUESTIONS, time_limit_ms=20_000)
    host = await connect_host(live_url, token, room["room_id"])
    students = list(await asyncio.gather(*(connect_student(live_url, room["code"], f"S{i:02d}")
                                           for i in range(STUDENTS - 1))))
    late_joiner = None
    accepted: dict[str, dict] = {}  # attempt_id → ack of every accepted answer
    ids = {s.last("joined")["nickname"]: s.last("joined")["player_id"] for s in students}

    async def answer(student: LiveClient, index: int, raw: str, attempt_id: str | None = None) -> dict:
        attempt_id = attempt_id or new_attempt()
        ack = await student.call("answer", {"index": index, "answer": raw, "attempt_id": attempt_id})
        if ack["ok"] and not ack["duplicate"]:
            assert attempt_id not in accepted
            accepted[attempt_id] = {**ack, "player": student.last("joined")["player_id"], "index": index}
        return ack

    assert (await host.call("start"))["ok"]
    kicked = students[29 - 1]
    rejoiner = students[27]
    for index in range(QUESTIONS):
        question = await host.wait_for("question", predicate=lambda d, i=index: d["index"] == i)
        right = str(right_answer(question))
        if index == 1:
            # A late join (the room is not locked) answers question 1 like everyone else.
            late_joiner = await connect_student(live_url, room["code"], "Late")
            students.append(late_joiner)
            ids["Late"] = late_joiner.last("joined")["player_id"]
            assert late_joiner.last("state")["phase"] == "question"
            # A disconnect and rejoin in the middle of a question: same player, score, streak.
            before = rejoiner.last("joined")
            score_before = (rejoiner.last("leaderboard") or {}).get("you", {}).get("score")
            await rejoiner.disconnect()
            again = await LiveClient(live_url, "/play").connect({"rejoin_token": before["rejoin_token"]})
            await again.wait_for("state")
            assert again.last("joined")["player_id"] == before["player_id"]
            assert again.last("joined")["score"] == score_before
            assert again.last("state")["index"] == 1 and again.last("state")["answered_current"] is False
            students[students.index(rejoiner)] = again
            rejoiner = again
        playing = [s for s in students if s is not kicked or index == 0]
        slow = playing[5]  # answers only after the question closed: too_late

        async def play(i: int, student: LiveClient, index=index, right=right, slow=slow) -> None:
            if student is slow:
                return
            if i == 1:
                bad = await answer(student, index, "seven")
                assert bad["error"]["code"] == "invalid_answer"
            if i == 3:
                bad = await answer(student, index + 1, right)
                assert bad["error"]["code"] == "wrong_index"
            raw = right if i % 3 else "-1"
            if i == 2:  # a retry of the same attempt, sent twice at once
                attempt = new_attempt()
                first, second = await asyncio.gather(answer(student, index, raw, attempt),
                                                     answer(student, index, raw, attempt))
                assert {first["duplicate"], second["duplicate"]} == {False, True}
                assert {k: v for k, v in first.items() if k != "duplicate"} == \
                       {k: v for k, v in second.items() if k != "duplicate"}
                return
            ack = await answer(student, index, raw)
            assert ack["ok"], ack
            if i == 4:
                again = await answer(student, index, raw)
                assert again["error"]["code"] == "already_answered"

        await asyncio.gather(*(play(i, s) for i, s in enumerate(playing)))
        progress = await host.wait_for("answer_progress", predicate=lambda d, i=index: d["index"] == i)
        assert progress["players"] >= STUDENTS - 2
        assert (await host.call("close_question"))["ok"]
        late = await answer(slow, index, right)
        assert late["error"]["code"] == "too_late"
        closed = await host.wait_for("question_closed", predicate=lambda d, i=index: d["index"] == i)
        mine = [a for a in accepted.values() if a["index"] == index]
        assert closed["answered"] == len(mine) == len(playing) - 1
        assert closed["correct"] == sum(a["is_correct"] for a in mine)
        if index == 0:
            kick = await host.call("kick", {"player_id": ids["S28"]})
            assert kick["ok"]
            assert (await kicked.wait_for("kicked"))["reason"]
            kicked_token = kicked.last("joined")["rejoin_token"]
            try:
                await LiveClient(live_url, "/play").connect({"rejoin_token": kicked_token})
                raise AssertionError("a kicked student's rejoin token must not work")
            except Refused as refused:
                assert refused.code == "kicked"
        if index < QUESTIONS - 1:
            assert (await host.call("next"))["ok"]
    assert (await host.call("next"))["ok"]
    over = await host.wait_for("game_over")

    # The database holds exactly the accepted answers, once each.
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT a.attempt_id, a.points, a.question_index, p.id FROM answer_attempts a "
            "JOIN room_players p ON p.session_id = a.session_id WHERE p.room_id = :r"),
            {"r": room["room_id"]})).all()
        sessions = await conn.scalar(text(
            "SELECT count(*) FROM practice_sessions WHERE mode = 'live' AND config->>'room_id' = :r"),
            {"r": str(room["room_id"])})
    assert {str(r[0]) for r in rows} == set(accepted)
    assert len(rows) == len(accepted)
    assert sessions == STUDENTS  # 29 + the late joiner, one each (rejoin made no new session)
    db_scores: dict[str, int] = {}
    for _, points, _, player_id in rows:
        db_scores[str(player_id)] = db_scores.get(str(player_id), 0) + points
    ack_scores: dict[str, int] = {}
    for ack in accepted.values():
        ack_scores[ack["player"]] = ack_scores.get(ack["player"], 0) + ack["points"]
    assert db_scores == ack_scores

    # The Redis board and the results agree with the database (the kicked player is off it).
    top, _ = await Leaderboards(redis, redis_prefix).top_and_ranks(room["room_id"], [], n=100)
    board = {str(e.player_id): e.score for e in top}
    expected = {p: s for p, s in db_scores.items() if p != ids["S28"]}
    expected.update({pid: 0 for name, pid in ids.items() if name != "S28" and pid not in expected})
    assert board == expected
    assert [e["score"] for e in over["top"]] == sorted(expected.values(), reverse=True)[:10]
    assert over["podium"] == [e for e in over["top"][:3] if e["score"] > 0]
    for student in students:
        if student is kicked:
            continue
        mine = await student.wait_for("game_over")
        pid = student.last("joined")["player_id"]
        assert mine["you"]["score"] == expected[pid]
    assert uuid.UUID(ids["Late"])
    for client in [host, *students]:
        if client.sio.connected:
            await client.disconnect()

    # The teacher's report (read from PostgreSQL) agrees with the database and the standings.
    report, report_csv = await _fetch_report(live_url, token, room["room_id"])
    by_player = {row["player_id"]: row for row in report["students"]}
    assert set(by_player) == set(ids.values())
    assert {p: row["score"] for p, row in by_player.items() if row["score"]} == {
        p: s for p, s in db_scores.items() if s}
    assert by_player[ids["S28"]]["kicked"] and not by_player[ids["S00"]]["kicked"]
    for player_id, row in by_player.items():
        mine = [a for a in accepted.values() if a["player"] == player_id]
        assert (row["answered"], row["correct"]) == (len(mine), sum(a["is_correct"] for a in mine))
    ranked = [row for row in report["students"] if not row["kicked"]]
    assert [r["score"] for r in ranked][:10] == [e["score"] for e in over["top"]]
    assert [r["player_id"] for r in ranked][:3] == [e["player_id"] for e in over["podium"]]
    assert sorted(a["attempt_id"] for a in report["attempts"]) == sorted(accepted)
    assert [q["answered"] for q in report["questions"]] == [
        sum(a["index"] == i for a in accepted.values()) for i in range(QUESTIONS)]
    csv_students = {row["player_id"]: int(row["score"]) for row in report_csv}
    assert csv_students == {p: row["score"] for p, row in by_player.items()}


async def _fetch_report(live_url: str, token: str, room_id) -> tuple[dict, list[dict]]:
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{live_url}/api/rooms/{room_id}/report"
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.get(url) as response:
            assert response.status == 200, await response.text()
            report = await response.json()
        async with http.get(url, params={"format": "csv", "part": "students"}) as response:
            assert response.status == 200
            body = (await response.read()).decode("utf-8-sig")
    return report, list(csv.DictReader(io.StringIO(body)))
