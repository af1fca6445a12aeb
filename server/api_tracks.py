"""GET /api/tracks: the learning tracks, for the teacher's New game form (a room may be based
on a track instead of an operand range)."""

from __future__ import annotations

from aiohttp import web

from persistence.track_list import list_tracks
from server import app_keys
from server.auth import require_teacher


async def show_tracks(request: web.Request) -> web.Response:
    await require_teacher(request)
    return web.json_response({"tracks": await list_tracks(request.app[app_keys.DATABASE])})


ROUTES = [
    web.get("/api/tracks", show_tracks),
]
