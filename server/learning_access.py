"""Who may read whose learning data: a student their own, a teacher their classes' students."""

from __future__ import annotations

import uuid

from aiohttp import web

from persistence.accounts import principal_for_token
from persistence.rosters import class_owner, teacher_has_student
from server import app_keys
from server.auth import request_token
from server.errors import ApiError


async def principal(request: web.Request) -> tuple[uuid.UUID, str]:
    """(user_id, role) of the caller's live token (bearer header or login cookie), or 401."""
    token = request_token(request)
    found = await principal_for_token(request.app[app_keys.DATABASE], token) if token else None
    if found is None:
        raise ApiError(401, "unauthorized", "sign in first: a valid bearer token is required",
                       headers={"WWW-Authenticate": "Bearer"})
    return found


def query_uuid(request: web.Request, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(request.query.get(name, ""))
    except ValueError:
        raise ApiError(400, f"invalid_{name}", f"{name} must be a UUID") from None


async def authorize_student_data(request: web.Request, user_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    """The caller may read this student's data, or ApiError 403/401."""
    caller, role = await principal(request)
    if caller == user_id:
        return caller, role
    if role == "teacher" and await teacher_has_student(request.app[app_keys.DATABASE], caller, user_id):
        return caller, role
    raise ApiError(403, "forbidden", "You may not read this student's data.")


async def authorize_class(request: web.Request, class_id: uuid.UUID) -> uuid.UUID:
    caller, role = await principal(request)
    if role != "teacher":
        raise ApiError(403, "forbidden", "Only the class's teacher may read it.")
    if await class_owner(request.app[app_keys.DATABASE], class_id) != caller:
        # Someone else's class is as invisible as a missing one.
        raise ApiError(404, "class_not_found", "No such class.")
    return caller
