"""GET/PATCH /api/me/preferences: the signed-in user's text size and colour scheme, so the
pages look the same on every device they use."""

from __future__ import annotations

from typing import Literal

from aiohttp import web

from persistence.preferences import get_preferences, update_preferences, user_for_any_token
from server import app_keys
from server.auth import request_token
from server.errors import ApiError
from server.request_body import Body, read_body


class PreferencesPatch(Body):
    font_size: Literal["small", "medium", "large", "x-large"] | None = None
    color_scheme: Literal["default", "dark", "high_contrast"] | None = None


async def _caller(request: web.Request):
    token = request_token(request)
    user_id = await user_for_any_token(request.app[app_keys.DATABASE], token) if token else None
    if user_id is None:
        raise ApiError(401, "unauthorized", "sign in first: a valid bearer token is required",
                       headers={"WWW-Authenticate": "Bearer"})
    return user_id


async def show_preferences(request: web.Request) -> web.Response:
    user_id = await _caller(request)
    prefs = await get_preferences(request.app[app_keys.DATABASE], user_id)
    return web.json_response(prefs.as_dict())


async def change_preferences(request: web.Request) -> web.Response:
    user_id = await _caller(request)
    body = await read_body(request, PreferencesPatch)
    prefs = await update_preferences(request.app[app_keys.DATABASE], user_id,
                                     font_size=body.font_size, color_scheme=body.color_scheme)
    return web.json_response(prefs.as_dict())


def setup_preference_routes(app: web.Application) -> None:
    app.router.add_get("/api/me/preferences", show_preferences)
    app.router.add_patch("/api/me/preferences", change_preferences)
