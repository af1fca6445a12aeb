"""POST /api/teachers, /api/login, /api/logout: teacher sign-up and bearer tokens."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Annotated

from aiohttp import web
from pydantic import AfterValidator, StringConstraints

from persistence.accounts import issue_token, revoke_token
from persistence.teachers import (
    AccountTaken,
    create_teacher,
    replace_password_hash,
    teacher_credentials,
    teacher_profile,
)
from server import app_keys
from server.auth import clear_token_cookie, request_token, require_teacher, set_token_cookie
from server.client_address import client_address
from server.errors import ApiError, error_response
from server.failure_limits import (
    SIGN_UPS,
    WRONG_PASSWORDS_PER_ADDRESS,
    WRONG_PASSWORDS_PER_USERNAME,
    rate_limited,
)
from server.request_body import Body, read_body
from server.timestamps import epoch_ms

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,49}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _username(value: str) -> str:
    value = value.strip().lower()
    if not _USERNAME.fullmatch(value):
        raise ValueError("3 to 50 characters: letters, digits, '.', '_' or '-', starting with "
                         "a letter or digit")
    return value


def _email(value: str) -> str:
    value = value.strip().lower()
    if len(value) > 255 or not _EMAIL.fullmatch(value):
        raise ValueError("not an email address")
    return value


class NewTeacher(Body):
    username: Annotated[str, AfterValidator(_username)]
    email: Annotated[str, AfterValidator(_email)]
    password: Annotated[str, StringConstraints(min_length=8, max_length=200)]


class Credentials(Body):
    username: Annotated[str, StringConstraints(max_length=200)]
    password: Annotated[str, StringConstraints(max_length=1000)]


async def sign_up(request: web.Request) -> web.Response:
    body = await read_body(request, NewTeacher)
    # Counted whether it succeeds or not: each is an argon2 hash and maybe an account.
    limits, address = request.app[app_keys.FAILURE_LIMITS], client_address(request)
    retry_after = await limits.retry_after(SIGN_UPS, address)
    if retry_after is not None:
        raise rate_limited(retry_after, "too many sign-ups from this address; try again later")
    await limits.count(SIGN_UPS, address)
    password_hash = await request.app[app_keys.PASSWORDS].hash(body.password)
    try:
        user_id = await create_teacher(request.app[app_keys.DATABASE], body.username, body.email,
                                       password_hash)
    except AccountTaken as exc:
        raise ApiError(409, f"{exc.field}_taken", f"that {exc.field} is already registered") from None
    return web.json_response({"user_id": str(user_id)}, status=201)


async def _check_password(app: web.Application, username: str, password: str) -> uuid.UUID:
    """The teacher these credentials belong to, or 401; as slow for unknown usernames."""
    db, passwords = app[app_keys.DATABASE], app[app_keys.PASSWORDS]
    credentials = await teacher_credentials(db, username)
    if credentials is None:
        verdict = await passwords.verify_unknown_user(password)
    else:
        verdict = await passwords.verify(credentials.password_hash, password)
    if credentials is None or not verdict.ok:
        raise ApiError(401, "invalid_credentials", "wrong username or password")
    if verdict.new_hash:
        await replace_password_hash(db, credentials.user_id, verdict.new_hash)
    return credentials.user_id


async def log_in(request: web.Request) -> web.Response:
    body = await read_body(request, Credentials)
    app, username, address = request.app, body.username.strip().lower(), client_address(request)
    # Passwords can be guessed: past a limit the password is not even checked.
    limits = app[app_keys.FAILURE_LIMITS]
    retry_after = (await limits.retry_after(WRONG_PASSWORDS_PER_USERNAME, username)
                   or await limits.retry_after(WRONG_PASSWORDS_PER_ADDRESS, address))
    if retry_after is not None:
        raise rate_limited(retry_after, "too many wrong passwords; try again later")
    try:
        user_id = await _check_password(app, username, body.password)
    except ApiError:
        await limits.count(WRONG_PASSWORDS_PER_USERNAME, username)
        await limits.count(WRONG_PASSWORDS_PER_ADDRESS, address)
        raise
    await limits.forget(WRONG_PASSWORDS_PER_USERNAME, username)
    ttl_hours = app[app_keys.SETTINGS].token_ttl_hours
    token = secrets.token_urlsafe(32)
    expires_at = await issue_token(app[app_keys.DATABASE], user_id, token, ttl_hours=ttl_hours)
    response = web.json_response({"token": token, "user_id": str(user_id),
                                  "expires_at": epoch_ms(expires_at)})
    set_token_cookie(request, response, token, ttl_hours)
    return response


async def who_am_i(request: web.Request) -> web.Response:
    teacher_id = await require_teacher(request)
    profile = await teacher_profile(request.app[app_keys.DATABASE], teacher_id)
    return web.json_response({"user_id": str(teacher_id), **(profile or {})})


async def log_out(request: web.Request) -> web.Response:
    token = request_token(request)
    if token and await revoke_token(request.app[app_keys.DATABASE], token):
        response = web.Response(status=204)
    else:
        response = error_response(401, "unauthorized", "no live token to revoke")
    clear_token_cookie(response)
    return response


ROUTES = [
    web.get("/api/me", who_am_i),
    web.post("/api/teachers", sign_up),
    web.post("/api/login", log_in),
    web.post("/api/logout", log_out),
]
