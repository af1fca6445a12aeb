"""The Redis boards: composite ranking, pipelined updates, and the rebuild from PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import text

from persistence import rooms_repo
from rooms.keys import daily_board_key, weekly_board_key
from rooms.leaderboard import (
    DAILY_TTL_S,
    WEEKLY_TTL_S,
    CommittedPoints,
    Leaderboards,
    composite,
    rebuild_room_board,
)
from tests.support import factories

TODAY = dt.date(2026, 11, 24)


def test_composite_orders_score_then_time_then_join_order():
    assert composite(1000, 9_000_000, 5) > composite(999, 0, 1)
    assert composite(1000, 4000, 5) > composite(1000, 4001, 1)
    assert composite(1000, 4000, 1) > composite(1000, 4000, 2)
    assert composite(150_000, 0, 0) < 2**53  # exact in a double


async def test_ranking_ties_and_own_ranks(redis, redis_prefix):
    boards = Leaderboards(redis, redis_prefix)
    room = uuid.uuid4()
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for order, pid in enumerate((a, b, c), start=1):
        await boards.add_player(room, pid, order)
    users = {a: uuid.uuid4(), b: uuid.uuid4(), c: uuid.uuid4()}
    await boards.record([CommittedPoints(room, a, users[a], 900, 3000),
                         CommittedPoints(room, b, users[b], 900, 2000),  # same score, faster
                         CommittedPoints(room, c, users[c], 0, 1000)], TODAY)
    top, ranks = await boards.top_and_ranks(room, [a, b, c])
    assert [(e.player_id, e.score) for e in top] == [(b, 900), (a, 900), (c, 0)]
    assert ranks == {b: 1, a: 2, c: 3}
    await boards.record([CommittedPoints(room, c, users[c], 900, 1000)], TODAY)
    top, _ = await boards.top_and_ranks(room, [])
    # c and b: 900 in 2000 ms each, b joined first; a took 3000 ms
    assert [e.player_id for e in top] == [b, c, a]
    assert sorted(await boards.daily_top(TODAY)) == sorted((str(u), 900) for u in users.values())
    assert 0 < await redis.ttl(daily_board_key(redis_prefix, TODAY)) <= DAILY_TTL_S
    assert 0 < await redis.ttl(weekly_board_key(redis_prefix, TODAY)) <= WEEKLY_TTL_S


async def test_rebuild_from_postgresql_equals_the_live_board(db, redis, redis_prefix):
    boards = Leaderboards(redis, redis_prefix)
    teacher, _ = await factories.make_teacher_with_token(db)
    room = await rooms_repo.room_by_id(db, (await factories.make_room(db, teacher))["room_id"])
    [qid] = await rooms_repo.find_or_create_facts(db, [(3, 4, "×", Decimal(12))])
    players = [await rooms_repo.create_player(db, room, f"p{i}", i, None) for i in (1, 2, 3)]
    kicked = players[2]
    await rooms_repo.kick_player(db, kicked.player_id)
    committed = []
    for index, (player, points, rt) in enumerate([(players[0], 800, 4000), (players[1], 800, 3000),
                                                  (players[0], 1000, 10), (kicked, 1000, 5)]):
        async with db.engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO answer_attempts (question_id, user_id, session_id, user_answer, "
                "is_correct, correct_answer, response_time, input_method, attempt_number, "
                "attempt_id, question_index, points) VALUES (:q, :u, :s, 12, true, 12, :rt, "
                "'keyboard', 1, :a, :i, :p)"),
                {"q": qid, "u": player.user_id, "s": player.session_id, "rt": rt,
                 "a": uuid.uuid4(), "i": index, "p": points})
        committed.append(CommittedPoints(room.room_id, player.player_id, player.user_id, points, rt))
    for p in players[:2]:
        await boards.add_player(room.room_id, p.player_id, p.join_order)
    await boards.record(committed[:3], TODAY)
    live = await boards.top_and_ranks(room.room_id, [p.player_id for p in players[:2]])
    await redis.delete(f"{redis_prefix}:room:{room.room_id}:board")  # Redis lost it
    assert await rebuild_room_board(db, boards, room.room_id) == 2
    rebuilt = await boards.top_and_ranks(room.room_id, [p.player_id for p in players[:2]])
    assert rebuilt == live
    assert [e.score for e in rebuilt[0]] == [1800, 800]
