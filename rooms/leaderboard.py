"""Leaderboards on Redis sorted sets.

A room's board ranks by score, then by lower total response time, then by earlier join; players
with no points share the place after everyone who scored (`shared_rank`). The first two keys
are packed into the member's score, exact in a double (below 2**53):

    composite = score · 2**24 + (RT_MAX − total_response_ms)

and the third is the member itself: Redis orders members with equal scores by their bytes
(ZREVRANGE and ZREVRANK in reverse), so a member starts with the join order inverted as fixed-
width hex, then the player id: `board_member(player_id, join_order)`. A room can hold as many
players as it likes; no bits of the score are spent on them.

A player enters with score 0 and total time 0; each committed answer adds
points · 2**24 − response_time_ms with one ZINCRBY, so concurrent workers never
read-modify-write. Bounds: 100 questions × 120 s < RT_MAX ms, scores below 2**29.

The seed's daily and weekly leaderboards are rooms/period_boards.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from rooms.generation import RedisGeneration
from rooms.keys import room_board_key, team_board_key
from rooms.ports import BoardRow
from rooms.redis_pipelines import PipelineBatcher

SCORE_UNIT = 2**24
RT_MAX = 2**24 - 1
JOIN_ORDER_MAX = 2**32 - 1  # eight hex digits in the member
ROOM_BOARD_TTL_S = 24 * 3600


ENTRY_COMPOSITE = RT_MAX  # score 0, no time spent yet
# Up to this many ranks are asked one ZREVRANK each (a student's own rank on reconnect);
# more (everyone's, at a question's close) are read off the whole board in one command.
RANKS_ONE_BY_ONE_MAX = 8
# A whole board up to this size is read in the worker's shared pipelines (a class's board
# parses in well under a millisecond); a larger one takes its own round trip, so that other
# rooms' small commands never wait while its reply is parsed.
SHARED_BOARD_MAX = 200


def board_member(player_id: uuid.UUID, join_order: int) -> str:
    """The player's member on the room board: inverted join order, then the id, so that among
    equal scores the earlier join sorts last in byte order, i.e. first in ZREVRANGE."""
    if not 0 <= join_order <= JOIN_ORDER_MAX:
        raise ValueError(f"join order out of range: {join_order}")
    return f"{JOIN_ORDER_MAX - join_order:08x}:{player_id}"


def player_of_member(member: bytes | str) -> uuid.UUID:
    return uuid.UUID(_text(member)[9:])


def answer_increment(points: int, response_time_ms: int) -> int:
    return points * SCORE_UNIT - response_time_ms


def composite(score: int, total_response_ms: int) -> int:
    return score * SCORE_UNIT + ENTRY_COMPOSITE - total_response_ms


def score_of(composite_value: float) -> int:
    return int(composite_value) // SCORE_UNIT


@dataclass(frozen=True)
class BoardEntry:
    rank: int  # 1-based
    player_id: uuid.UUID
    score: int


class BoardSeat(NamedTuple):
    """Where a live session's committed points go: its room's board, as this player."""

    room_id: uuid.UUID
    player_id: uuid.UUID
    join_order: int


@dataclass(frozen=True)
class CommittedPoints:
    room_id: uuid.UUID
    player_id: uuid.UUID
    join_order: int
    points: int
    response_time_ms: int


class Leaderboards:
    def __init__(self, redis: Redis, prefix: str, generation: RedisGeneration | None = None,
                 pipelines: PipelineBatcher | None = None) -> None:
        self._redis = redis
        self._prefix = prefix
        # Small reads and seats share pipelines with other rooms' (and the worker's) commands.
        self._pipelines = pipelines if pipelines is not None else PipelineBatcher(redis)
        # Read with every board read, so a board Redis lost is rebuilt before it is shown.
        self._generation = generation

    async def _read(self, queue: Callable[[Pipeline], object], *, shared: bool = True) -> list[Any]:
        """The replies of the commands `queue` puts on a pipeline, in one round trip with
        Redis's generation marker. When Redis lost its data since this worker last looked
        (or this is its first look), the boards are rebuilt and the commands run again.
        `shared`: in the worker's shared pipelines; a read whose reply is large (a whole
        board) takes its own, so that the small commands of other rooms never wait for it."""
        generation = self._generation

        def with_marker(pipe: Pipeline) -> None:
            if generation is not None:
                pipe.get(generation.key)
            queue(pipe)

        for _ in range(2):
            if shared:
                replies = await self._pipelines.run(with_marker)
            else:
                async with self._redis.pipeline(transaction=False) as pipe:
                    with_marker(pipe)
                    replies = await pipe.execute()
            if generation is None:
                return replies
            marker, *replies = replies
            if generation.is_known(marker):
                return replies
            await generation.check()
        return replies

    def _room_key(self, room_id: uuid.UUID) -> str:
        return room_board_key(self._prefix, room_id)

    async def add_player(self, room_id: uuid.UUID, player_id: uuid.UUID, join_order: int) -> None:
        key = self._room_key(room_id)

        def seat(pipe: Pipeline) -> None:
            pipe.zadd(key, {board_member(player_id, join_order): ENTRY_COMPOSITE}, nx=True)
            pipe.expire(key, ROOM_BOARD_TTL_S)

        await self._pipelines.run(seat)

    async def remove_player(self, room_id: uuid.UUID, player_id: uuid.UUID, join_order: int) -> None:
        await self._redis.zrem(self._room_key(room_id), board_member(player_id, join_order))

    async def record(self, batch: Iterable[CommittedPoints]) -> None:
        """One pipeline per committed batch: the room boards."""
        items = list(batch)
        if not items:
            return
        # Its own pipeline, not the shared one: the batch's acks wait for it, and must not
        # wait behind another room's whole-board read.
        async with self._redis.pipeline(transaction=False) as pipe:
            for item in items:
                pipe.zincrby(self._room_key(item.room_id),
                             answer_increment(item.points, item.response_time_ms),
                             board_member(item.player_id, item.join_order))
            await pipe.execute()

    async def top_and_ranks(self, room_id: uuid.UUID, seats: Iterable[tuple[uuid.UUID, int]],
                            n: int = 10) -> tuple[list[BoardEntry], dict[uuid.UUID, int]]:
        """The top `n` and the 1-based rank of every given (player_id, join_order), in one
        round trip."""
        key = self._room_key(room_id)
        seats = list(seats)
        if len(seats) > RANKS_ONE_BY_ONE_MAX:
            return await self._top_and_ranks_from_whole_board(key, seats, n)

        def queue(pipe: Pipeline) -> None:
            pipe.zcount(key, SCORE_UNIT, "+inf")
            if n > 0:  # ZREVRANGE 0 -1 would be the whole board: a rank alone must not read it
                pipe.zrevrange(key, 0, n - 1, withscores=True)
            for player_id, join_order in seats:
                pipe.zrevrank(key, board_member(player_id, join_order))

        replies = await self._read(queue)
        scorers, *results = replies
        head, rank_results = (results[0], results[1:]) if n > 0 else ([], results)
        ids = [player_id for player_id, _ in seats]
        ranks = {pid: shared_rank(r + 1, scorers)
                 for pid, r in zip(ids, rank_results, strict=True) if r is not None}
        return _entries(head, scorers), ranks

    async def _top_and_ranks_from_whole_board(self, key: str, seats: list[tuple[uuid.UUID, int]],
                                              n: int) -> tuple[list[BoardEntry], dict[uuid.UUID, int]]:
        """Everyone's rank at a question's close: one ZREVRANGE of the whole board, ranks by
        position. A ZREVRANK per player costs redis-py ~10 µs of packing and parsing each;
        `python -m bench.live.board_ranks`: 47 → 8.5 ms of CPU for 5,000 players, 0.42 → 0.15 ms
        for 30."""
        whole, = await self._read(lambda pipe: pipe.zrevrange(key, 0, -1, withscores=True),
                                  shared=len(seats) <= SHARED_BOARD_MAX)
        board = _scored(whole)
        scorers = sum(1 for _, value in board if score_of(value) > 0)
        position = {_text(member): rank for rank, (member, _) in enumerate(board, start=1)}
        ranks = {}
        for player_id, join_order in seats:
            rank = position.get(board_member(player_id, join_order))
            if rank is not None:
                ranks[player_id] = shared_rank(rank, scorers)
        return _entries(board[:max(n, 0)], scorers), ranks

    # --- team boards ------------------------------------------------------------------------

    async def set_teams(self, room_id: uuid.UUID, scores: Mapping[int, int]) -> None:
        """A team-mode room's team board, as totals (rooms/teams.py derives them from the
        members' answers; each write replaces the board, so writing it again is harmless)."""
        key = team_board_key(self._prefix, room_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            if scores:
                pipe.zadd(key, {str(team): score for team, score in scores.items()})
                pipe.expire(key, ROOM_BOARD_TTL_S)
            await pipe.execute()

    async def team_board(self, room_id: uuid.UUID) -> list[tuple[int, int]]:
        """(team, points), most points first; teams with equal points in team order."""
        key = team_board_key(self._prefix, room_id)
        whole, = await self._read(lambda pipe: pipe.zrevrange(key, 0, -1, withscores=True))
        rows = _scored(whole)
        return sorted(((int(_text(member)), int(value)) for member, value in rows),
                      key=lambda row: (-row[1], row[0]))

    async def size(self, room_id: uuid.UUID) -> int:
        return int(await self._redis.zcard(self._room_key(room_id)))

    async def exists(self, room_id: uuid.UUID) -> bool:
        return bool(await self._redis.exists(self._room_key(room_id)))

    async def rebuild(self, room_id: uuid.UUID, rows: Iterable[BoardRow]) -> None:
        """Replace a room's board with what PostgreSQL holds (when Redis has lost it)."""
        key = self._room_key(room_id)
        mapping = {board_member(r.player_id, r.join_order): composite(r.score, r.total_response_ms)
                   for r in rows}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            if mapping:
                pipe.zadd(key, mapping)
                pipe.expire(key, ROOM_BOARD_TTL_S)
            await pipe.execute()



def _scored(rows: object) -> list[tuple[bytes | str, float]]:
    """ZREVRANGE … WITHSCORES as (member, score) pairs (redis-py types its reply as a union
    over the protocol versions)."""
    return cast(list[tuple[bytes | str, float]], rows)


def shared_rank(position: int, scorers: int) -> int:
    """The rank of the player at 1-based `position` on a board where `scorers` players have
    points: a player with none ranks after all of them, and all such players share that
    place (a class reads "2nd" for a student who never answered as wrong)."""
    return min(position, scorers + 1)


def _entries(head: Iterable[tuple[bytes | str, float]], scorers: int) -> list[BoardEntry]:
    return [BoardEntry(rank=shared_rank(i + 1, scorers), player_id=player_of_member(member),
                       score=score_of(value))
            for i, (member, value) in enumerate(head)]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
