"""A team game through the whole app with real msgpack Socket.IO clients: placement, a move
in the lobby, the team board at each close and at the end, each student's own team line, a
rejoin keeping the team, and the report (JSON and CSV) with every student's team and the
teams' results, all agreeing with PostgreSQL and Redis."""

from __future__ import annotations

import csv
import io

import aiohttp
from sqlalchemy import text

from rooms.leaderboard import Leaderboards
from rooms.teams import question_points, standings
from tests.support import factories
from tests.support.live_clients import LiveClient, connect_host, connect_screen, connect_student, new_attempt

NAMES = ("Red", "Blue")


async def _team_points(db, room_id, upto: int) -> dict[int, int]:
    """Each team's total over questions 0..upto recomputed from answer_attempts, question by
    question (the mean of its members' points at each)."""
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT p.team_index, q.question_index, count(*), COALESCE(sum(a.points), 0) "
            "FROM room_players p JOIN room_questions q ON q.room_id = p.room_id "
            "LEFT JOIN answer_attempts a ON a.session_id = p.session_id "
            "AND a.question_index = q.question_index "
            "WHERE p.room_id = :r AND p.kicked_at IS NULL AND q.question_index <= :upto "
            "GROUP BY p.team_index, q.question_index"), {"r": room_id, "upto": upto})).all()
    totals: dict[int, int] = {}
    for team, _, members, points in rows:
        totals[team] = totals.get(team, 0) + question_points(points, members)
    return totals


async def test_a_team_game_from_lobby_to_report(live_url, db, redis, redis_prefix):
    teacher, token = await factories.make_teacher_with_token(db)
    room = await factories.make_room(db, teacher, question_count=2, time_limit_ms=20_000, team_names=NAMES)
    host = await connect_host(live_url, token, room["room_id"])
    screen = await connect_screen(live_url, room["code"], room["screen_key"])
    students = {name: await connect_student(live_url, room["code"], name)
                for name in ("Ada", "Bo", "Cy", "Di")}
    teams = {name: s.last("joined")["team"]["name"] for name, s in students.items()}
    assert teams == {"Ada": "Red", "Bo": "Blue", "Cy": "Red", "Di": "Blue"}
    ids = {name: s.last("joined")["player_id"] for name, s in students.items()}

    # The teacher moves Di to Red: Di is told, the lobby shows it.
    ack = await host.call("move", {"player_id": ids["Di"], "team": 0})
    assert ack == {"ok": True, "player_id": ids["Di"], "team": 0}
    assert await students["Di"].wait_for("team") == {"team": 0, "name": "Red"}
    lobby = await host.wait_for("lobby", predicate=lambda lob: lob["teams"][0]["count"] == 3)
    assert {p["nickname"]: p["team"] for p in lobby["players"]} == {"Ada": 0, "Bo": 1, "Cy": 0, "Di": 0}
    assert (await students["Ada"].call("move", {"player_id": ids["Ada"], "team": 1}))["error"]["code"] == \
        "forbidden"  # a host event on /play
    assert (await host.call("move", {"player_id": ids["Ada"], "team": "1"}))["error"]["code"] == \
        "invalid_payload"

    assert (await host.call("start"))["ok"]
    assert (await host.call("move", {"player_id": ids["Ada"], "team": 1}))["error"]["code"] == "invalid_phase"
    for index in range(2):
        question = await students["Ada"].wait_for("question", predicate=lambda q, i=index: q["index"] == i)
        right = question["operand1"] * question["operand2"]
        for name, answer in (("Ada", right), ("Bo", right), ("Cy", right + 1), ("Di", right if index else 0)):
            assert (await students[name].call("answer", {"index": index, "answer": str(answer),
                                                         "attempt_id": new_attempt()}))["ok"]
        board = await screen.wait_for("leaderboard", predicate=lambda b, i=index: b["index"] == i
                                      and not b.get("live"))
        expected = await _team_points(db, room["room_id"], index)
        assert {t["team"]: t["score"] for t in board["teams"]} == expected
        assert await Leaderboards(redis, redis_prefix).team_board(room["room_id"]) == sorted(
            expected.items(), key=lambda kv: (-kv[1], kv[0]))
        mine = await students["Cy"].wait_for("leaderboard", predicate=lambda b, i=index: b["index"] == i)
        assert mine["you"]["team"]["name"] == "Red" and mine["you"]["team"]["contribution"] == 0
        if index == 0:
            # Cy reloads: the same player, still on Red.
            token_cy = students["Cy"].last("joined")["rejoin_token"]
            await students["Cy"].disconnect()
            students["Cy"] = await LiveClient(live_url, "/play").connect({"rejoin_token": token_cy})
            state = await students["Cy"].wait_for("state")
            assert state["team"] == {"team": 0, "name": "Red"} and state["teams"][0]["score"] >= 0
            assert (await host.call("next"))["ok"]
    assert (await host.call("next"))["ok"]
    over = await screen.wait_for("game_over")
    assert [t["name"] for t in over["teams"]] in (["Red", "Blue"], ["Blue", "Red"])
    mine = await students["Bo"].wait_for("game_over")
    assert mine["you"]["team"]["name"] == "Blue"
    for client in (host, screen, *students.values()):
        await client.disconnect()

    # The report: every student's team, the teams' results, in JSON and in CSV.
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
        async with http.get(f"{live_url}/api/rooms/{room['room_id']}/report") as resp:
            report = await resp.json()
        async with http.get(f"{live_url}/api/rooms/{room['room_id']}/report?format=csv&part=teams") as resp:
            teams_csv = list(csv.DictReader(io.StringIO((await resp.text()).lstrip("\ufeff"))))
        async with http.get(f"{live_url}/api/rooms/{room['room_id']}/report?format=csv") as resp:
            whole_csv = await resp.text()
    assert {s["nickname"]: s["team"] for s in report["students"]} == {
        "Ada": "Red", "Bo": "Blue", "Cy": "Red", "Di": "Red"}
    assert report["room"]["team_names"] == list(NAMES)
    by_name = {t["name"]: t for t in report["teams"]}
    totals = await _team_points(db, room["room_id"], 1)
    assert {name: t["score"] for name, t in by_name.items()} == {"Red": totals[0], "Blue": totals[1]}
    assert (by_name["Red"]["players"], by_name["Blue"]["players"]) == (3, 1)
    assert by_name["Blue"]["correct"] == 2 and by_name["Blue"]["streak"] == 2
    assert [row["name"] for row in teams_csv] == [t["name"] for t in report["teams"]]
    assert {row["name"]: int(row["score"]) for row in teams_csv} == {"Red": totals[0], "Blue": totals[1]}
    assert "\r\nteams\r\n" in whole_csv and ",team\r\n" in whole_csv
    record = standings(NAMES, await _rows(db, room["room_id"]))
    assert [t.score for t in record] == [totals[0], totals[1]]


async def _rows(db, room_id):
    from persistence.room_store import PostgresRoomStore

    return await PostgresRoomStore(db).team_rows(room_id)
