"""A class's daily and weekly boards over HTTP after a real game: the live points of its
students, rebuilt from PostgreSQL when Redis has lost them, kept in keys that end with
their period."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import aiohttp
from sqlalchemy import text

from rooms.period_boards import DAY, WEEK, period_of
from tests.support.live_clients import LiveClient, connect_host, connect_screen, new_attempt


async def _api(session: aiohttp.ClientSession, method: str, url: str, token: str, body=None):
    async with session.request(method, url, json=body, headers={"Authorization": f"Bearer {token}"}) as r:
        return r.status, await r.json()


async def _sql_points(db, user_ids: list[str], start: dt.datetime) -> dict[str, int]:
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT a.user_id::text, SUM(a.points)::int FROM answer_attempts a "
            "WHERE a.user_id::text = ANY(:u) AND a.question_index IS NOT NULL AND a.timestamp >= :s "
            "GROUP BY a.user_id"), {"u": user_ids, "s": start})).all()
    return {user: points for user, points in rows}


async def test_a_class_board_after_a_game_and_after_redis_lost_it(live_url, db, redis, redis_prefix):
    async with aiohttp.ClientSession() as http:
        username = f"board-{uuid.uuid4().hex[:8]}"
        await _api(http, "POST", f"{live_url}/api/teachers", "", {
            "username": username, "email": f"{username}@school.example", "password": "long enough pw"})
        _, login = await _api(http, "POST", f"{live_url}/api/login", "",
                              {"username": username, "password": "long enough pw"})
        token = login["token"]
        _, cls = await _api(http, "POST", f"{live_url}/api/classes", token, {"name": "Class 5C"})
        _, added = await _api(http, "POST", f"{live_url}/api/classes/{cls['class_id']}/students", token,
                              {"students": [{"display_name": n} for n in ("Ada", "Bo", "Cy", "Di")]})
        students = {s["display_name"]: s for s in added["students"]}
        _, room = await _api(http, "POST", f"{live_url}/api/rooms", token, {
            "operation": "×", "min_operand": 2, "max_operand": 5, "question_count": 2,
            "time_limit_ms": 20_000})

        host = await connect_host(live_url, token, room["room_id"])
        players = {}
        for name in ("Ada", "Bo", "Cy"):  # Di stays home
            client = await LiveClient(live_url, "/play").connect(
                {"code": room["code"], "student_key": students[name]["student_key"]})
            await client.wait_for("state")
            players[name] = client
        assert (await host.call("start"))["ok"]
        for index in range(2):
            question = await players["Ada"].wait_for("question", predicate=lambda q, i=index: q["index"] == i)
            right = question["operand1"] * question["operand2"]
            for name, answer in (("Ada", right), ("Bo", right if index else right + 1), ("Cy", right + 1)):
                ack = await players[name].call("answer", {"index": index, "answer": str(answer),
                                                          "attempt_id": new_attempt()})
                assert ack["ok"], ack
            await host.wait_for("question_closed", predicate=lambda c, i=index: c["index"] == i)
            assert (await host.call("next"))["ok"]

        ids = [students[n]["user_id"] for n in ("Ada", "Bo", "Cy", "Di")]
        today = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        week, day = period_of(WEEK, today, redis_prefix), period_of(DAY, today, redis_prefix)
        expected = await _sql_points(db, ids, week.start)
        assert expected[students["Ada"]["user_id"]] > expected[students["Bo"]["user_id"]] > 0

        def as_board(body: dict) -> dict[str, tuple[int, int]]:
            return {row["display_name"]: (row["rank"], row["points"]) for row in body["board"]}

        want = {"Ada": (1, expected[students["Ada"]["user_id"]]),
                "Bo": (2, expected[students["Bo"]["user_id"]]), "Cy": (3, 0), "Di": (3, 0)}
        status, board = await _api(http, "GET", f"{live_url}/api/classes/{cls['class_id']}/leaderboard",
                                   token)
        assert status == 200 and board["period"] == WEEK and board["students"] == 4
        assert as_board(board) == want
        assert [row["display_name"] for row in board["board"]] == ["Ada", "Bo", "Cy", "Di"]
        _, daily = await _api(http, "GET",
                              f"{live_url}/api/classes/{cls['class_id']}/leaderboard?period=day", token)
        assert daily["period"] == DAY and as_board(daily) == want  # all played today

        # The writer's hook wrote the scorers' totals within a second, in keys that end with
        # their period, not minutes after the last answer.
        await asyncio.sleep(1.5)
        for period in (day, week):
            assert await redis.zscore(period.key, students["Ada"]["user_id"]) == want["Ada"][1]
            assert await redis.expiretime(period.key) == period.end_epoch_s

        # Redis lost both boards: the next read rebuilds them from PostgreSQL.
        await redis.delete(day.key, week.key)
        _, rebuilt = await _api(http, "GET", f"{live_url}/api/classes/{cls['class_id']}/leaderboard",
                                token)
        assert as_board(rebuilt) == want
        assert await redis.zscore(week.key, students["Bo"]["user_id"]) == want["Bo"][1]

        # The projector's lobby of the class's next game shows the week's scorers, best first.
        _, next_room = await _api(http, "POST", f"{live_url}/api/rooms", token, {
            "operation": "×", "question_count": 2, "time_limit_ms": 20_000, "class_id": cls["class_id"]})
        screen = await connect_screen(live_url, next_room["code"], next_room["screen_key"])
        top = await screen.wait_for("class_board")
        assert top["period"] == WEEK and top["name"] == "Class 5C"
        assert [(r["display_name"], r["rank"], r["points"]) for r in top["board"]] == [
            ("Ada", 1, want["Ada"][1]), ("Bo", 2, want["Bo"][1])]
        # A game without a class has no board to show.
        _, classless = await _api(http, "POST", f"{live_url}/api/rooms", token, {
            "operation": "×", "question_count": 2, "time_limit_ms": 20_000})
        plain = await connect_screen(live_url, classless["code"], classless["screen_key"])
        await asyncio.sleep(0.5)
        assert plain.received["class_board"] == []

        board_url = f"{live_url}/api/classes/{cls['class_id']}/leaderboard"
        status, refused = await _api(http, "GET", f"{board_url}?period=year", token)
        assert status == 400 and refused["error"]["code"] == "invalid_payload"
        for client in (host, screen, plain, *players.values()):
            await client.disconnect()


async def test_another_teachers_class_board_is_forbidden(client, teacher, other_teacher):
    resp = await client.post("/api/classes", json={"name": "Mine"}, headers=teacher.headers)
    class_id = (await resp.json())["class_id"]
    resp = await client.get(f"/api/classes/{class_id}/leaderboard", headers=other_teacher.headers)
    assert resp.status == 403
    resp = await client.get(f"/api/classes/{class_id}/leaderboard")
    assert resp.status == 401
