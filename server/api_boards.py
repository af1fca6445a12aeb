"""GET /api/classes/{class_id}/leaderboard: a class's daily or weekly board, for its teacher.

The points are live-game points (rooms/period_boards.py); the class is its roster. The same
body is what the projector's lobby shows for the game's class (server/live/screen.py).
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from persistence import rosters
from persistence.database import Database
from rooms.period_boards import PERIODS, WEEK, PeriodBoards, ranked
from server import app_keys
from server.api_classes import owned_class
from server.errors import ApiError
from server.timestamps import epoch_ms


async def class_board(db: Database, boards: PeriodBoards, class_id: uuid.UUID, class_name: str,
                      kind: str, limit: int | None = None) -> dict[str, Any]:
    """The class's standings for the day or the week: every student, most points first."""
    entries = await rosters.roster(db, class_id)
    names = {e.user_id: e.display_name for e in entries}
    period, points = await boards.points(kind, [e.user_id for e in entries])
    standings = ranked(points, [e.user_id for e in entries])  # equals listed by name
    return {"class_id": str(class_id), "name": class_name, "period": kind,
            "starts_at": epoch_ms(period.start), "ends_at": epoch_ms(period.end),
            "students": len(entries),
            "board": [{"rank": s.rank, "user_id": str(s.user_id), "display_name": names[s.user_id],
                       "points": s.points} for s in standings[:limit]]}


async def show_class_board(request: web.Request) -> web.Response:
    record = await owned_class(request)
    kind = request.query.get("period", WEEK)
    if kind not in PERIODS:
        raise ApiError(400, "invalid_payload", f"period: one of {', '.join(PERIODS)}")
    body = await class_board(request.app[app_keys.DATABASE], request.app[app_keys.LIVE].period_boards,
                             record.id, record.name, kind)
    return web.json_response(body, headers={"Cache-Control": "no-store"})


ROUTES = [
    web.get("/api/classes/{class_id}/leaderboard", show_class_board),
]
