"""Everything played counts: a live game with an operand range asks the tracks' own rows, so
its facts show on the student's grid and on the class grid, through the grid query."""

from __future__ import annotations

import aiohttp
from sqlalchemy import text

from learning.catalog import track_id
from persistence.curriculum.seed import seed_curriculum
from tests.server.practice_client import enrol, teacher_auth
from tests.support import factories
from tests.support.live_clients import LiveClient, connect_host, new_attempt

MULT = track_id("multiplication-12")


async def test_a_range_games_facts_appear_on_the_student_and_class_grids(live_url, clean_db):
    await seed_curriculum(clean_db)
    ada, bo = await factories.make_user(clean_db), await factories.make_user(clean_db)
    teacher, class_id, keys = await enrol(clean_db, ada, bo)
    auth = await teacher_auth(clean_db, teacher)
    room = await factories.make_room(clean_db, teacher, operation="×", min_operand=2, max_operand=9,
                                     question_count=3)
    host = await connect_host(live_url, auth["Authorization"].split()[1], room["room_id"])
    players = {}
    for user in (ada, bo):
        players[user] = await LiveClient(live_url, "/play").connect(
            {"code": room["code"], "student_key": keys[user]})
        await players[user].wait_for("state")
    asked: list[tuple[int, int]] = []
    for index in range(3):
        await host.call("start" if index == 0 else "next")
        for user, client in players.items():
            q = await client.wait_for("question", count=index + 1)
            right = q["operand1"] * q["operand2"]
            ack = await client.call("answer", {
                "index": index, "attempt_id": new_attempt(),
                "answer": str(right if user == ada else right + 1)})  # Ada right, Bo wrong
            assert ack["ok"], ack
        asked.append((q["operand1"], q["operand2"]))
        await host.wait_for("question_closed", count=index + 1)
    await host.call("end")

    async with clean_db.engine.connect() as conn:
        tracks = set((await conn.scalars(text(
            "SELECT DISTINCT q.track_id FROM room_questions rq JOIN questions q ON q.id = rq.question_id "
            "WHERE rq.room_id = :r"), {"r": room["room_id"]})).all())
    assert tracks == {MULT}  # the multiplication track's own rows, not free-standing copies

    async with aiohttp.ClientSession() as http:
        async with http.post(f"{live_url}/api/students/session", json={"student_key": keys[ada]}) as r:
            student = await r.json()
        params = {"track_id": str(MULT), "operation": "×"}
        async with http.get(f"{live_url}/api/users/{ada}/grid", params=params,
                            headers={"Authorization": f"Bearer {student['token']}"}) as r:
            assert r.status == 200, await r.text()
            grid = {(c["row"], c["col"]): c for c in (await r.json())["cells"]}
        async with http.get(f"{live_url}/api/classes/{class_id}/grid", params=params,
                            headers=auth) as r:
            assert r.status == 200, await r.text()
            class_grid = {(c["row"], c["col"]): c for c in (await r.json())["cells"]}
    for fact in asked:
        cell = grid[fact]
        assert cell["total_attempts"] >= 1 and cell["correct_attempts"] == cell["total_attempts"]
        assert cell["fluency_level"] != "not_started" and cell["next_review_date"] is not None
        whole_class = class_grid[fact]
        assert whole_class["tried"] == 2 and whole_class["attempts"] >= 2
        assert whole_class["counts"]["not_started"] < 2
    untouched = next(f for f in grid if f not in asked)
    assert grid[untouched]["total_attempts"] == 0 and class_grid[untouched]["tried"] == 0
    for client in (host, *players.values()):
        await client.disconnect()
