"""GET /api/rooms/{id}/report from attempts written straight to the database."""

from __future__ import annotations

import csv
import io
import uuid

from tests.server.conftest import assert_error
from tests.support import factories, room_factories


async def _played_room(db, teacher_id):
    """Five players, two questions (3 × 1 = 3, then 3 × 2 = 6); scores chosen to exercise ties."""
    _, facts = await factories.make_track(db, "×", size=3)
    q0 = next(f for f in facts if (f["operand1"], f["operand2"]) == (3, 1))
    q1 = next(f for f in facts if (f["operand1"], f["operand2"]) == (3, 2))
    room_id = await room_factories.make_room(db, teacher_id)
    await room_factories.add_room_question(db, room_id, 0, q0)
    await room_factories.add_room_question(db, room_id, 1, q1)
    add = room_factories.add_player
    dora = await add(db, room_id, "Dora", 0)   # joined first, answered wrong: 0 points
    ana = await add(db, room_id, "Ana", 1)
    ben = await add(db, room_id, "Ben", 2)
    cy = await add(db, room_id, "=cmd|' /C calc'!A0", 3)
    eve = await add(db, room_id, "Eve", 4)    # never answered: 0 points, 0 ms
    attempt = room_factories.add_attempt
    await attempt(db, dora, q0, 0, answer="4", response_time=3000, points=0)
    await attempt(db, ana, q0, 0, answer="3", response_time=2000, points=900)
    await attempt(db, ana, q1, 1, answer="6", response_time=3000, points=600)
    await attempt(db, ben, q0, 0, answer="3", response_time=1000, points=950)
    await attempt(db, ben, q1, 1, answer="6", response_time=3000, points=550)
    await attempt(db, cy, q0, 0, answer="3", response_time=2000, points=900)
    await attempt(db, cy, q1, 1, answer="6", response_time=2000, points=600)
    # Another room's attempt at the same question must not leak into this report.
    other_room = await room_factories.make_room(db, teacher_id)
    stranger = await add(db, other_room, "Stranger", 0)
    await attempt(db, stranger, q0, 0, answer="3", response_time=500, points=1000)
    return room_id, {"dora": dora, "ana": ana, "ben": ben, "cy": cy, "eve": eve}


async def test_report_ranks_by_score_then_total_time_then_join_order(client, teacher, db):
    room_id, players = await _played_room(db, teacher.user_id)
    resp = await client.get(f"/api/rooms/{room_id}/report", headers=teacher.headers)
    assert resp.status == 200
    report = await resp.json()
    ranking = [(s["rank"], s["nickname"], s["score"], s["correct"], s["answered"],
                s["average_response_time_ms"]) for s in report["students"]]
    # Ana, Ben and Cy all scored 1500. Ben (4000 ms) and Cy (4000 ms) beat Ana (5000 ms);
    # Ben joined before Cy. Eve and Dora scored 0: they share the place after everyone who
    # scored, listed by the contract's keys (Eve's total time, 0, is the shorter).
    assert ranking == [
        (1, "Ben", 1500, 2, 2, 2000),
        (2, "=cmd|' /C calc'!A0", 1500, 2, 2, 2000),
        (3, "Ana", 1500, 2, 2, 2500),
        (4, "Eve", 0, 0, 0, None),
        (4, "Dora", 0, 0, 1, 3000),
    ]
    assert report["students"][0]["player_id"] == str(players["ben"].id)
    assert report["players"] == 5
    assert report["questions"] == [
        {"index": 0, "question_id": report["questions"][0]["question_id"], "prompt": "3 × 1",
         "correct_answer": 3, "answered": 4, "correct": 3, "percent_correct": 75.0,
         "average_response_time_ms": 2000},
        {"index": 1, "question_id": report["questions"][1]["question_id"], "prompt": "3 × 2",
         "correct_answer": 6, "answered": 3, "correct": 3, "percent_correct": 100.0,
         "average_response_time_ms": 2667},
    ]
    attempts = report["attempts"]
    assert len(attempts) == 7
    assert {(a["nickname"], a["index"], a["answer"], a["is_correct"], a["response_time_ms"],
             a["points"]) for a in attempts if a["nickname"] == "Dora"} == {("Dora", 0, "4", False, 3000, 0)}
    assert [a["index"] for a in attempts] == [0, 0, 0, 0, 1, 1, 1]


async def test_report_csv_sections_are_complete_and_formula_safe(client, teacher, db):
    room_id, _ = await _played_room(db, teacher.user_id)
    resp = await client.get(f"/api/rooms/{room_id}/report?format=csv", headers=teacher.headers)
    assert resp.status == 200
    assert resp.content_type == "text/csv"
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="mathrally-') and disposition.endswith('-report.csv"')
    raw = await resp.text()
    assert raw.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff"))))
    titles = [i for i, row in enumerate(rows) if row in (["students"], ["questions"], ["attempts"])]
    assert [rows[i][0] for i in titles] == ["students", "questions", "attempts"]
    students = rows[titles[0] + 1:titles[1] - 1]
    questions = rows[titles[1] + 1:titles[2] - 1]
    attempts = rows[titles[2] + 1:]
    assert students[0][:6] == ["rank", "player_id", "nickname", "score", "correct", "answered"]
    assert [r[2] for r in students[1:]] == ["Ben", "'=cmd|' /C calc'!A0", "Ana", "Eve", "Dora"]
    assert [r[3] for r in students[1:]] == ["1500", "1500", "1500", "0", "0"]
    assert questions[1][:3] == ["0", "3 × 1", "3"] and questions[1][5] == "75.0"
    assert len(attempts) == 1 + 7
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


async def test_report_csv_single_part(client, teacher, db):
    room_id, _ = await _played_room(db, teacher.user_id)
    resp = await client.get(f"/api/rooms/{room_id}/report?format=csv&part=attempts",
                            headers=teacher.headers)
    assert resp.status == 200
    assert resp.headers["Content-Disposition"].endswith('-attempts.csv"')
    rows = list(csv.reader(io.StringIO((await resp.text()).lstrip("\ufeff"))))
    assert rows[0][:5] == ["index", "prompt", "player_id", "nickname", "answer"]
    assert len(rows) == 8
    for query in ("format=pdf", "format=csv&part=everything", "part=students"):
        resp = await client.get(f"/api/rooms/{room_id}/report?{query}", headers=teacher.headers)
        await assert_error(resp, 400, "invalid_payload")


async def test_report_of_an_empty_room(client, teacher, db):
    room_id = await room_factories.make_room(db, teacher.user_id, status="lobby")
    report = await (await client.get(f"/api/rooms/{room_id}/report", headers=teacher.headers)).json()
    assert (report["students"], report["questions"], report["attempts"]) == ([], [], [])


async def test_report_access(client, teacher, other_teacher, db):
    room_id = await room_factories.make_room(db, teacher.user_id)
    await assert_error(await client.get(f"/api/rooms/{room_id}/report"), 401, "unauthorized")
    await assert_error(await client.get(f"/api/rooms/{room_id}/report?format=csv",
                                        headers=other_teacher.headers), 403, "forbidden")
    await assert_error(await client.get(f"/api/rooms/{uuid.uuid4()}/report",
                                        headers=teacher.headers), 404, "not_found")
