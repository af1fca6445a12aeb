"""Team mode: placement, moves, a team's points (the mean of its members'), its streak, the
team board on Redis, what each student reads about their team, and a room rebuilt on
another worker keeping every team. A fake clock, the in-memory store and writer, and the
boards on an in-process Redis (tests/rooms/test_live_game.py's Table)."""

from __future__ import annotations

import fakeredis
import pytest

from rooms import commands
from rooms.keys import team_board_key
from rooms.ports import TeamQuestionRow
from rooms.scoring import speed_points
from rooms.teams import question_points, right_together, shared_ranks, standings
from tests.rooms.test_live_game import LIMIT, Table, codes, right_answer
from tests.support.fake_clock import FakeClock
from tests.support.memory_room_store import InMemoryRoomStore

NAMES = ("Red", "Blue")


@pytest.fixture
async def table():
    redis = fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer())
    table = Table.build(InMemoryRoomStore(), FakeClock(), redis)
    yield table
    await table.registry.close_all()
    await redis.aclose()


def test_a_teams_points_are_the_mean_of_its_members_rounded_half_up():
    assert question_points(900 + 900, 2) == 900  # two players: no more than one
    assert question_points(900, 2) == 450  # a member who did not answer counts 0
    assert question_points(1001, 2) == 501 and question_points(1000, 3) == 333
    assert question_points(0, 0) == 0
    assert right_together(1, 2) and not right_together(1, 3) and not right_together(0, 0)


def test_standings_sum_the_questions_and_count_the_streak_back_from_the_last():
    rows = [TeamQuestionRow(0, 0, 2, 1800, 2), TeamQuestionRow(1, 0, 1, 700, 1),
            TeamQuestionRow(0, 1, 2, 600, 1), TeamQuestionRow(1, 1, 1, 0, 0),
            TeamQuestionRow(0, 2, 2, 0, 0), TeamQuestionRow(1, 2, 2, 1600, 2)]
    red, blue = standings(NAMES, rows)
    assert (red.score, red.streak, red.points, red.correct, red.answered) == (900 + 300, 0, 0, 3, 6)
    assert (blue.score, blue.streak, blue.points, blue.members) == (700 + 800, 1, 800, 2)
    assert shared_ranks({0: 1200, 1: 1500, 2: 1200}) == {1: 1, 0: 2, 2: 2}


async def test_students_are_balanced_over_the_teams_and_the_teacher_moves_them_in_the_lobby(table):
    room = table.store.add_room(operation="+", time_limit_ms=LIMIT, team_names=("Red", "Blue", "Green"))
    joined = [await table.gateway.join(room.code, nickname=n) for n in ("Ada", "Bo", "Cy", "Di", "Ed")]
    assert [w.joined["team"] for w in joined] == [
        {"team": 0, "name": "Red"}, {"team": 1, "name": "Blue"}, {"team": 2, "name": "Green"},
        {"team": 0, "name": "Red"}, {"team": 1, "name": "Blue"}]
    assert joined[0].state["team"] == {"team": 0, "name": "Red"}
    await table.gateway.run(commands.Kick(room.room_id, joined[2].player_id))  # Green is empty now
    late = await table.gateway.join(room.code, nickname="Fay")
    assert late.joined["team"]["name"] == "Green"

    ack = await table.gateway.run(commands.Move(room.room_id, joined[0].player_id, 2))
    assert ack == {"ok": True, "player_id": str(joined[0].player_id), "team": 2}
    await table.settle(room)
    [moved] = [s for s in table.out.of("team", "player") if s.player_id == joined[0].player_id]
    assert moved.payload == {"team": 2, "name": "Green"}
    lobby = table.out.of("lobby", "staff")[-1].payload
    assert lobby["teams"] == [{"team": 0, "name": "Red", "count": 1}, {"team": 1, "name": "Blue", "count": 2},
                              {"team": 2, "name": "Green", "count": 2}]
    assert {p["nickname"]: p["team"] for p in lobby["players"]} == {"Ada": 2, "Bo": 1, "Di": 0, "Ed": 1,
                                                                    "Fay": 2}
    assert table.out.of("lobby", "players")[-1].payload == {"count": 5}  # students: the count only
    assert await codes(table.gateway.run(commands.Move(room.room_id, joined[0].player_id, 7))) == "not_found"
    assert await codes(table.gateway.run(commands.Move(room.room_id, joined[2].player_id, 0))) == "not_found"
    await table.gateway.run(commands.Start(room.room_id))
    assert await codes(table.gateway.run(commands.Move(room.room_id, joined[1].player_id, 0))) == \
        "invalid_phase"
    history = await table.store.history(room.room_id)
    assert {p.nickname: p.team for p in history.players} == {"Ada": 2, "Bo": 1, "Cy": 2, "Di": 0, "Ed": 1,
                                                             "Fay": 2}


async def test_a_team_game_scores_means_keeps_streaks_and_tells_each_student_their_part(table):
    room = table.store.add_room(operation="+", question_count=2, time_limit_ms=LIMIT, team_names=NAMES)
    ada, bo, cy = [await table.gateway.join(room.code, nickname=n) for n in ("Ada", "Bo", "Cy")]
    # Red: Ada and Cy; Blue: Bo alone.
    await table.gateway.run(commands.Start(room.room_id))
    question = await table.question(room)
    table.clock.advance(2_000)
    await table.answer(room, ada, str(right_answer(question)))
    await table.answer(room, bo, str(right_answer(question)))
    await table.answer(room, cy, "-1")
    await table.settle(room)
    first = speed_points(2_000, LIMIT)
    boards = {s.player_id: s.payload for s in table.out.of("leaderboard", "player")}
    staff = table.out.of("leaderboard", "staff")[-1].payload
    assert staff["teams"] == [
        {"rank": 1, "team": 1, "name": "Blue", "score": first, "streak": 1, "points": first, "players": 1},
        {"rank": 2, "team": 0, "name": "Red", "score": question_points(first, 2), "streak": 1,
         "points": question_points(first, 2), "players": 2}]
    assert boards[ada.player_id]["you"]["team"] == {
        "team": 0, "name": "Red", "rank": 2, "score": question_points(first, 2), "streak": 1,
        "points": question_points(first, 2), "contribution": question_points(first, 2)}
    assert boards[cy.player_id]["you"]["team"]["contribution"] == 0
    assert boards[bo.player_id]["you"]["team"]["contribution"] == first
    assert await table.registry._boards.team_board(room.room_id) == [
        (1, first), (0, question_points(first, 2))]

    # A late joiner counts from the question open when they come: Red is not charged for the first.
    await table.gateway.run(commands.Next(room.room_id))
    question = await table.question(room, 1)
    di = await table.gateway.join(room.code, nickname="Di")  # to Blue, the smaller team
    assert di.joined["team"]["name"] == "Blue"
    table.clock.advance(1_000)
    for student in (ada, cy, bo):
        await table.answer(room, student, str(right_answer(question)), index=1)
    await table.gateway.run(commands.End(room.room_id))
    await table.settle(room)
    over = table.out.of("game_over", "staff")[-1].payload
    by_team = {t["name"]: t for t in over["teams"]}
    points = {a.session_id: a.points for a in table.store.attempts if a.question_index == 1}
    players = {p.nickname: p for p in (await table.store.history(room.room_id)).players}
    red_second = question_points(points[players["Ada"].session_id] + points[players["Cy"].session_id], 2)
    blue_second = question_points(points[players["Bo"].session_id], 2)  # Di did not answer
    assert by_team["Red"]["score"] == question_points(first, 2) + red_second
    assert by_team["Blue"]["score"] == first + blue_second
    assert by_team["Red"]["streak"] == 2 and by_team["Blue"]["streak"] == 2  # half of Blue was right
    assert {t["rank"] for t in over["teams"]} <= {1, 2}
    mine = {s.player_id: s.payload for s in table.out.of("game_over", "player")}
    assert mine[di.player_id]["you"]["team"]["name"] == "Blue"
    assert mine[di.player_id]["you"]["team"]["contribution"] == 0
    # What the record says equals what the game said.
    assert standings(NAMES, await table.store.team_rows(room.room_id))[0].score == by_team["Red"]["score"]


async def test_a_kick_takes_the_player_out_of_their_teams_past_questions(table):
    room = table.store.add_room(operation="+", question_count=2, time_limit_ms=LIMIT, team_names=NAMES)
    ada, bo, cy = [await table.gateway.join(room.code, nickname=n) for n in ("Ada", "Bo", "Cy")]
    await table.gateway.run(commands.Start(room.room_id))
    question = await table.question(room)
    await table.answer(room, ada, str(right_answer(question)))
    await table.answer(room, bo, str(right_answer(question)))
    await table.answer(room, cy, "-1")
    await table.settle(room)
    full = speed_points(0, LIMIT)
    assert dict(await table.registry._boards.team_board(room.room_id)) == {0: full // 2, 1: full}
    await table.gateway.run(commands.Kick(room.room_id, cy.player_id))  # Red is Ada alone now
    assert dict(await table.registry._boards.team_board(room.room_id)) == {0: full, 1: full}


async def test_a_room_rebuilt_elsewhere_keeps_every_team_and_rebuilds_the_team_board(table):
    room = table.store.add_room(operation="+", question_count=2, time_limit_ms=LIMIT, team_names=NAMES)
    ada, bo = [await table.gateway.join(room.code, nickname=n) for n in ("Ada", "Bo")]
    await table.gateway.run(commands.Move(room.room_id, bo.player_id, 0))  # both on Red
    await table.gateway.run(commands.Start(room.room_id))
    question = await table.question(room)
    table.clock.advance(1_000)
    await table.answer(room, ada, str(right_answer(question)))
    await table.gateway.run(commands.CloseQuestion(room.room_id))
    await table.settle(room)
    board = await table.registry._boards.team_board(room.room_id)
    await table.registry.close_all()

    # Another worker, whose Redis lost everything.
    redis = fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer())
    other = Table.build(table.store, table.clock, redis)
    try:
        back = await other.gateway.run(commands.Rejoin(room.room_id, bo.player_id))
        assert back.joined["team"] == {"team": 0, "name": "Red"} == back.state["team"]
        assert await redis.exists(team_board_key("test", room.room_id))
        assert await other.registry._boards.team_board(room.room_id) == board
        assert [t["name"] for t in back.state["teams"]] == ["Red", "Blue"]
        with_member = await other.gateway.run(commands.ShowState(room.room_id))
        assert with_member["lobby"]["teams"][0] == {"team": 0, "name": "Red", "count": 2}
    finally:
        await other.registry.close_all()
        await redis.aclose()


async def test_a_game_without_teams_says_nothing_of_teams(table):
    room = table.store.add_room(operation="+", question_count=1, time_limit_ms=LIMIT)
    ada = await table.gateway.join(room.code, nickname="Ada")
    assert ada.joined["team"] is None and ada.state["team"] is None
    with_lobby = await table.gateway.run(commands.ShowState(room.room_id))
    assert "teams" not in with_lobby["lobby"]
    assert await codes(table.gateway.run(commands.Move(room.room_id, ada.player_id, 0))) == "not_found"
    await table.gateway.run(commands.Start(room.room_id))
    await table.question(room)
    await table.gateway.run(commands.End(room.room_id))
    await table.settle(room)
    assert "teams" not in table.out.of("game_over", "staff")[-1].payload
    assert "team" not in table.out.of("game_over", "player")[-1].payload["you"]
