"""Every board Redis shows for a room against what PostgreSQL holds, for the fault tests: the
room's board (score per player), its team board (team mode), and its players' daily and weekly
class boards (live points per student today and this ISO week). Read straight from Redis (not
through the app, which would rebuild a board it finds stale): what the next screen would show."""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import text

from persistence.database import create_database
from persistence.live_points import PostgresLivePoints
from persistence.redis_client import create_redis
from persistence.room_store import PostgresRoomStore
from rooms.clock import naive_utc
from rooms.leaderboard import Leaderboards
from rooms.period_boards import PERIODS, period_of
from rooms.teams import standings


async def boards_against_record(database_url: str, redis_url: str, prefix: str,
                                room_id: uuid.UUID | str) -> dict[str, tuple[Any, Any]]:
    """{board: (what Redis holds, what PostgreSQL says)} for "room", "teams" (team rooms),
    "day" and "week"."""
    room_id = uuid.UUID(str(room_id))
    db = create_database(database_url, pool_size=1)
    redis = create_redis(redis_url)
    try:
        boards = Leaderboards(redis, prefix)
        top, _ = await boards.top_and_ranks(room_id, [], n=100_000)
        async with db.engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT p.id, p.user_id, COALESCE(SUM(a.points), 0) FROM room_players p "
                "LEFT JOIN answer_attempts a ON a.session_id = p.session_id "
                "AND a.question_index IS NOT NULL WHERE p.room_id = :r AND p.kicked_at IS NULL "
                "GROUP BY p.id, p.user_id"), {"r": room_id})).all()
            names = (await conn.execute(text(
                "SELECT name FROM room_teams WHERE room_id = :r ORDER BY team_index"),
                {"r": room_id})).scalars().all()
        found: dict[str, tuple[Any, Any]] = {
            "room": ({str(e.player_id): e.score for e in top}, {str(r[0]): int(r[2]) for r in rows})}
        if names:
            team_rows = await PostgresRoomStore(db).team_rows(room_id)
            found["teams"] = (dict(await boards.team_board(room_id)),
                              {s.team: s.score for s in standings(tuple(names), team_rows)})
        users = [r[1] for r in rows]
        now = naive_utc(_epoch_ms())
        periods = [period_of(kind, now, prefix) for kind in PERIODS]
        totals = await PostgresLivePoints(db).live_points(users, [(p.start, p.end) for p in periods])
        for i, period in enumerate(periods):
            shown = await redis.zmscore(period.key, [str(u) for u in users])
            found[period.kind] = (
                {str(u): int(v) for u, v in zip(users, shown, strict=True) if v},
                {str(u): t[i] for u, t in totals.items() if t[i]})
        return found
    finally:
        await redis.aclose()
        await db.dispose()


def _epoch_ms() -> int:
    return time.time_ns() // 1_000_000


def boards_match(found: dict[str, tuple[Any, Any]]) -> dict[str, bool]:
    return {board: shown == record for board, (shown, record) in found.items()}
