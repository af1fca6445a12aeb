"""Who is calling: a teacher's token from `Authorization: Bearer …` or the login cookie."""

from __future__ import annotations

import uuid

from aiohttp import web

from persistence.accounts import user_for_token
from server import app_keys
from server.errors import ApiError

# Set at login for the browser pages: HttpOnly (scripts cannot read it) and SameSite=Strict
# (other sites cannot make the browser send it), so it cannot be used for CSRF.
TOKEN_COOKIE = "mathrally_token"


def request_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.cookies.get(TOKEN_COOKIE) or None


async def require_teacher(request: web.Request) -> uuid.UUID:
    """The signed-in teacher's user id, or 401 unauthorized."""
    token = request_token(request)
    teacher_id = await user_for_token(request.app[app_keys.DATABASE], token) if token else None
    if teacher_id is None:
        raise ApiError(401, "unauthorized", "sign in first: a valid bearer token is required",
                       headers={"WWW-Authenticate": "Bearer"})
    return teacher_id


def set_token_cookie(request: web.Request, response: web.StreamResponse, token: str,
                     ttl_hours: int) -> None:
    response.set_cookie(TOKEN_COOKIE, token, max_age=ttl_hours * 3600, path="/", httponly=True,
                        samesite="Strict", secure=request.secure)


def clear_token_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(TOKEN_COOKIE, path="/")
