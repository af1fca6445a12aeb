"""The Redis boards: composite ranking, pipelined updates, and the rebuild from PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import text

from persistence.room_store import PostgresRoomStore
from rooms.keys import room_board_key
from rooms.leaderboard import (
    JOIN_ORDER_MAX,
    RANKS_ONE_BY_ONE_MAX,
    CommittedPoints,
    Leaderboards,
    board_member,
    composite,
    player_of_member,
)
from tests.support import factories


def test_composite_orders_score_then_time():
    assert composite(1000, 9_000_000) > composite(999, 0)
    assert composite(1000, 4000) > composite(1000, 4001)
    assert composite(150_000, 0) < 2**53  # exact in a double
    assert composite(0, 100 * 120_000) > composite(-1, 0)  # 100 questions × 120 s fit below a point


def test_members_sort_earlier_joins_last_in_byte_order():
    """ZREVRANGE puts equal scores in reverse byte order: the earlier join must sort last."""
    pid = uuid.uuid4()
    orders = [1, 2, 9, 10, 255, 1023, 1024, 5000, 65_536, JOIN_ORDER_MAX]
    members = [board_member(pid, order) for order in orders]
    assert sorted(members, reverse=True) == members
    assert {player_of_member(m) for m in members} == {pid}
    assert player_of_member(members[0].encode()) == pid


async def test_ties_past_1023_players_rank_by_join_order(redis, redis_prefix):
    boards = Leaderboards(redis, redis_prefix)
    room = uuid.uuid4()
    seats = [(uuid.uuid4(), order) for order in (1, 1023, 1024, 2000, 4999, 5000)]
    for pid, order in reversed(seats):  # insertion order must not matter
        await boards.add_player(room, pid, order)
    # Everybody the same score and time; one player faster; one with more points.
    await boards.record([CommittedPoints(room, pid, order, 700, 2000)
                         for pid, order in seats])
    await boards.record([CommittedPoints(room, seats[4][0], 4999, 0, -1)])
    await boards.record([CommittedPoints(room, seats[5][0], 5000, 1, 0)])
    top, ranks = await boards.top_and_ranks(room, seats)
    expected = [seats[5][0], seats[4][0], seats[0][0], seats[1][0], seats[2][0], seats[3][0]]
    assert [e.player_id for e in top] == expected
    assert ranks == {pid: expected.index(pid) + 1 for pid, _ in seats}
    assert [e.score for e in top] == [701, 700, 700, 700, 700, 700]


async def test_ranking_ties_and_own_ranks(redis, redis_prefix):
    boards = Leaderboards(redis, redis_prefix)
    room = uuid.uuid4()
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    seats = [(a, 1), (b, 2), (c, 3)]
    for pid, order in seats:
        await boards.add_player(room, pid, order)
    await boards.record([CommittedPoints(room, a, 1, 900, 3000),
                         CommittedPoints(room, b, 2, 900, 2000),  # same score, faster
                         CommittedPoints(room, c, 3, 0, 1000)])
    top, ranks = await boards.top_and_ranks(room, seats)
    assert [(e.player_id, e.score) for e in top] == [(b, 900), (a, 900), (c, 0)]
    assert ranks == {b: 1, a: 2, c: 3}
    await boards.record([CommittedPoints(room, c, 3, 900, 1000)])
    top, _ = await boards.top_and_ranks(room, [])
    # c and b: 900 in 2000 ms each, b joined first; a took 3000 ms
    assert [e.player_id for e in top] == [b, c, a]


async def test_rebuild_from_postgresql_equals_the_live_board(db, redis, redis_prefix):
    boards, store = Leaderboards(redis, redis_prefix), PostgresRoomStore(db)
    teacher, _ = await factories.make_teacher_with_token(db)
    room = await store.room_by_id((await factories.make_room(db, teacher))["room_id"])
    assert room is not None
    [qid] = await store.find_or_create_facts([(3, 4, "×", Decimal(12))])
    players = [await store.create_player(room, f"p{i}", i, None, epoch=0) for i in (1, 2, 3)]
    kicked = players[2]
    await store.kick_player(room.room_id, kicked.player_id, dt.datetime(2026, 11, 24, 9), epoch=0)
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
        committed.append(CommittedPoints(room.room_id, player.player_id, player.join_order,
                                         points, rt))
    for p in players[:2]:
        await boards.add_player(room.room_id, p.player_id, p.join_order)
    await boards.record(committed[:3])
    seats = [(p.player_id, p.join_order) for p in players[:2]]
    live = await boards.top_and_ranks(room.room_id, seats)
    await redis.delete(room_board_key(redis_prefix, room.room_id))  # Redis lost it
    rows = await store.board_rows(room.room_id)
    assert len(rows) == 2
    await boards.rebuild(room.room_id, rows)
    rebuilt = await boards.top_and_ranks(room.room_id, seats)
    assert rebuilt == live
    assert [e.score for e in rebuilt[0]] == [1800, 800]


async def test_a_rank_alone_reads_no_top(redis, redis_prefix):
    """n=0 is a student's own rank on (re)connect: it must not fetch the board (ZREVRANGE 0 -1
    would return every member, O(N) per join)."""
    boards = Leaderboards(redis, redis_prefix)
    room = uuid.uuid4()
    seats = [(uuid.uuid4(), order) for order in range(1, 6)]
    for pid, order in seats:
        await boards.add_player(room, pid, order)
    await boards.record([CommittedPoints(room, pid, order, 1000 - order, 0)
                         for pid, order in seats[:4]])
    top, ranks = await boards.top_and_ranks(room, [seats[3]], n=0)
    assert (top, ranks) == ([], {seats[3][0]: 4})
    # No points: after the four who scored, whatever the join order.
    assert (await boards.top_and_ranks(room, [seats[4]], n=0))[1] == {seats[4][0]: 5}
    top, ranks = await boards.top_and_ranks(room, [], n=2)
    assert [e.player_id for e in top] == [seats[0][0], seats[1][0]] and ranks == {}


async def test_everyones_ranks_read_off_the_whole_board_agree_with_zrevrank(redis, redis_prefix):
    """At a close every player's rank is read from one ZREVRANGE; it must give exactly what a
    ZREVRANK per player gives, ties and absent players included."""
    boards = Leaderboards(redis, redis_prefix)
    room = uuid.uuid4()
    seats = [(uuid.uuid4(), order) for order in range(1, 41)]
    for pid, order in seats:
        await boards.add_player(room, pid, order)
    await boards.record([CommittedPoints(room, pid, order, (order % 4) * 300, order % 3)
                         for pid, order in seats])
    absent = (uuid.uuid4(), 99)  # kicked, or never on the board
    asked = [*seats, absent]
    assert len(asked) > RANKS_ONE_BY_ONE_MAX
    top, ranks = await boards.top_and_ranks(room, asked)
    one_by_one = {}
    for pid, order in asked:
        _, rank = await boards.top_and_ranks(room, [(pid, order)], n=0)
        one_by_one.update(rank)
    assert ranks == one_by_one and absent[0] not in ranks and len(ranks) == 40
    head, _ = await boards.top_and_ranks(room, [])
    assert top == head and len(top) == 10
