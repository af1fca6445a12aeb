"""GET/PATCH /api/me/preferences: the signed-in user's text size, colour scheme, font
(standard or dyslexia-friendly) and grid palette (standard or colour-blind-safe), so the pages
look the same on every device they use, and their daily practice goal in minutes."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from aiohttp import web
from pydantic import Field

from persistence.preferences import get_preferences, update_preferences, user_for_any_token
from server import app_keys
from server.auth import request_token
from server.errors import ApiError
from server.request_body import Body, read_body


class PreferencesPatch(Body):
    font_size: Literal["small", "medium", "large", "x-large"] | None = None
    color_scheme: Literal["default", "dark", "high_contrast"] | None = None
    font_family: Literal["standard", "dyslexia"] | None = None
    palette: Literal["standard", "colour_blind"] | None = None
    daily_goal_minutes: Annotated[int, Field(ge=1, le=120)] | None = None


async def _caller(request: web.Request) -> uuid.UUID:
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
                                     font_size=body.font_size, color_scheme=body.color_scheme,
                                     font_family=body.font_family, palette=body.palette,
                                     daily_goal_minutes=body.daily_goal_minutes)
    return web.json_response(prefs.as_dict())


ROUTES = [
    web.get("/api/me/preferences", show_preferences),
    web.patch("/api/me/preferences", change_preferences),
]
