"""Leaderboards on Redis sorted sets.

A room's board ranks by score, then by lower total response time, then by earlier join. A
sorted set has one number per member, so the three are packed into one composite, exact in
a double (below 2**53):

    composite = score · 2**34 + (RT_MAX − total_response_ms) · 2**10 + (JOIN_MAX − join_order)

A player enters with score 0 and total time 0; each committed answer adds
points · 2**34 − response_time_ms · 2**10 with one ZINCRBY, so concurrent workers never
read-modify-write. Bounds: 100 questions × 120 s < RT_MAX ms, and at most JOIN_MAX players.

The seed's leaderboard:daily and leaderboard:weekly boards are sorted sets of points per
user, with the seed's TTLs (5 and 15 minutes, refreshed by every write).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from redis.asyncio import Redis

from rooms.keys import daily_board_key, room_board_key, weekly_board_key

SCORE_UNIT = 2**34
TIME_UNIT = 2**10
RT_MAX = 2**24 - 1
JOIN_MAX = 2**10 - 1
ROOM_BOARD_TTL_S = 24 * 3600
DAILY_TTL_S = 5 * 60
WEEKLY_TTL_S = 15 * 60


def entry_composite(join_order: int) -> int:
    if not 0 <= join_order <= JOIN_MAX:
        raise ValueError(f"a room holds at most {JOIN_MAX} players")
    return RT_MAX * TIME_UNIT + (JOIN_MAX - join_order)


def answer_increment(points: int, response_time_ms: int) -> int:
    return points * SCORE_UNIT - response_time_ms * TIME_UNIT


def composite(score: int, total_response_ms: int, join_order: int) -> int:
    return score * SCORE_UNIT + entry_composite(join_order) - total_response_ms * TIME_UNIT


def score_of(composite_value: float) -> int:
    return int(composite_value) // SCORE_UNIT


@dataclass(frozen=True)
class BoardEntry:
    rank: int  # 1-based
    player_id: uuid.UUID
    score: int


@dataclass(frozen=True)
class CommittedPoints:
    room_id: uuid.UUID
    player_id: uuid.UUID
    user_id: uuid.UUID
    points: int
    response_time_ms: int


@dataclass(frozen=True)
class BoardRow:
    """What PostgreSQL knows of one player, to rebuild a board."""

    player_id: uuid.UUID
    join_order: int
    score: int
    total_response_ms: int


class Leaderboards:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    def _room_key(self, room_id: uuid.UUID) -> str:
        return room_board_key(self._prefix, room_id)

    async def add_player(self, room_id: uuid.UUID, player_id: uuid.UUID, join_order: int) -> None:
        key = self._room_key(room_id)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zadd(key, {str(player_id): entry_composite(join_order)}, nx=True)
            pipe.expire(key, ROOM_BOARD_TTL_S)
            await pipe.execute()

    async def remove_player(self, room_id: uuid.UUID, player_id: uuid.UUID) -> None:
        await self._redis.zrem(self._room_key(room_id), str(player_id))

    async def record(self, batch: Iterable[CommittedPoints], today: dt.date) -> None:
        """One pipeline per committed batch: the room boards and the daily/weekly boards."""
        items = list(batch)
        if not items:
            return
        daily, weekly = daily_board_key(self._prefix, today), weekly_board_key(self._prefix, today)
        async with self._redis.pipeline(transaction=False) as pipe:
            for item in items:
                pipe.zincrby(self._room_key(item.room_id),
                             answer_increment(item.points, item.response_time_ms), str(item.player_id))
                if item.points:
                    pipe.zincrby(daily, item.points, str(item.user_id))
                    pipe.zincrby(weekly, item.points, str(item.user_id))
            pipe.expire(daily, DAILY_TTL_S)
            pipe.expire(weekly, WEEKLY_TTL_S)
            await pipe.execute()

    async def top_and_ranks(self, room_id: uuid.UUID, player_ids: Iterable[uuid.UUID],
                            n: int = 10) -> tuple[list[BoardEntry], dict[uuid.UUID, int]]:
        """The top `n` and every given player's 1-based rank, in one round trip."""
        key = self._room_key(room_id)
        ids = list(player_ids)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zrevrange(key, 0, n - 1, withscores=True)
            for pid in ids:
                pipe.zrevrank(key, str(pid))
            results = await pipe.execute()
        top = [BoardEntry(rank=i + 1, player_id=uuid.UUID(_text(member)), score=score_of(value))
               for i, (member, value) in enumerate(results[0])]
        ranks = {pid: r + 1 for pid, r in zip(ids, results[1:], strict=True) if r is not None}
        return top, ranks

    async def size(self, room_id: uuid.UUID) -> int:
        return await self._redis.zcard(self._room_key(room_id))

    async def exists(self, room_id: uuid.UUID) -> bool:
        return bool(await self._redis.exists(self._room_key(room_id)))

    async def rebuild(self, room_id: uuid.UUID, rows: Iterable[BoardRow]) -> None:
        """Replace a room's board with what PostgreSQL holds (when Redis has lost it)."""
        key = self._room_key(room_id)
        mapping = {str(r.player_id): composite(r.score, r.total_response_ms, r.join_order) for r in rows}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            if mapping:
                pipe.zadd(key, mapping)
                pipe.expire(key, ROOM_BOARD_TTL_S)
            await pipe.execute()

    async def daily_top(self, today: dt.date, n: int = 10) -> list[tuple[str, int]]:
        rows = await self._redis.zrevrange(daily_board_key(self._prefix, today), 0, n - 1, withscores=True)
        return [(_text(member), int(value)) for member, value in rows]

    async def weekly_top(self, today: dt.date, n: int = 10) -> list[tuple[str, int]]:
        rows = await self._redis.zrevrange(weekly_board_key(self._prefix, today), 0, n - 1, withscores=True)
        return [(_text(member), int(value)) for member, value in rows]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def rebuild_room_board(db, boards: Leaderboards, room_id: uuid.UUID) -> int:
    """Rebuild a room's board from PostgreSQL (answer_attempts.points, room_players); returns
    how many players it holds. Used when Redis has lost the board (restart, eviction)."""
    from persistence.rooms_repo import board_source

    rows = [BoardRow(r.player_id, r.join_order, r.score, r.total_response_ms)
            for r in await board_source(db, room_id)]
    await boards.rebuild(room_id, rows)
    return len(rows)
