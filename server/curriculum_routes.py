"""HTTP for the learning side: student sign-in, tracks, progress, grids, solo practice.

Handlers parse, authorise, call one persistence function and reply (docs/practice.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import uuid
from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy import text

from persistence.accounts import issue_token, student_for_key
from persistence.curriculum import grid, practice, progress
from persistence.curriculum.after_commit import CurriculumAfterCommit, ProgressRefresher
from persistence.curriculum.cache import LearningCache
from server import app_keys
from server.curriculum_auth import authorize_class, authorize_student_data, principal, query_uuid
from server.errors import ApiError, error_response
from server.request_body import Body, path_uuid, read_body
from server.timestamps import epoch_ms

OPERATIONS = ("+", "-", "×", "÷")
# Student keys are 8 characters of 31: guessing one takes far more tries than this allows.
STUDENT_SIGN_INS_PER_ADDRESS = 30
STUDENT_SIGN_IN_WINDOW_S = 15 * 60


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _now(request: web.Request) -> dt.datetime:
    return request.app[app_keys.CLOCK]()


def _db(request: web.Request):
    return request.app[app_keys.DATABASE]


def _cache(request: web.Request) -> LearningCache:
    return request.app[app_keys.LEARNING_CACHE]


def _default(value):
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return float(value)  # Decimal


def _json(body, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda v: json.dumps(v, default=_default))


@web.middleware
async def curriculum_errors(request: web.Request, handler):
    """The practice service's expected failures, in the contract's error body."""
    try:
        return await handler(request)
    except practice.PracticeError as exc:
        return error_response(exc.status, exc.code, exc.message)


class StudentSignIn(Body):
    student_key: str


class NewPracticeSession(Body):
    track_id: uuid.UUID
    mode: str = "practice"


class PracticeAnswer(Body):
    attempt_id: uuid.UUID
    question_id: uuid.UUID
    answer: str | int
    response_time_ms: int


# --- sign-in ------------------------------------------------------------------------------


async def _count_sign_in(request: web.Request) -> None:
    """A fixed window per address, in Redis so it holds across workers; 429 past the limit."""
    address = hashlib.sha256((request.remote or "unknown").encode()).hexdigest()[:32]
    key = f"{request.app[app_keys.SETTINGS].redis_prefix}:student_signin:addr:{address}"
    async with request.app[app_keys.REDIS].pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, STUDENT_SIGN_IN_WINDOW_S, nx=True)
        pipe.ttl(key)
        count, _, ttl = await pipe.execute()
    if count > STUDENT_SIGN_INS_PER_ADDRESS:
        raise ApiError(429, "rate_limited", "too many sign-in attempts; try again later",
                       headers={"Retry-After": str(max(1, ttl))})


async def student_session(request: web.Request) -> web.Response:
    body = await read_body(request, StudentSignIn)
    await _count_sign_in(request)
    student = await student_for_key(_db(request), body.student_key)
    if student is None:
        raise ApiError(401, "invalid_student_key", "no student has that key")
    settings = request.app[app_keys.SETTINGS]
    token = secrets.token_urlsafe(32)
    expires_at = await issue_token(_db(request), student.user_id, token,
                                   ttl_hours=settings.token_ttl_hours)
    return _json({"token": token, "user_id": student.user_id, "display_name": student.display_name,
                  "class_id": student.class_id, "expires_at": epoch_ms(expires_at)}, 201)


# --- tracks, progress, stats, grid ----------------------------------------------------------


async def list_tracks(request: web.Request) -> web.Response:
    user_id = path_uuid(request, "user_id", "student")
    await authorize_student_data(request, user_id)
    return _json({"tracks": await progress.track_overview(_db(request), user_id)})


async def get_track_progress(request: web.Request) -> web.Response:
    user_id = path_uuid(request, "user_id", "student")
    track_id = path_uuid(request, "track_id", "track")
    await authorize_student_data(request, user_id)
    body = await _cache(request).track_progress(
        user_id, track_id, lambda: progress.track_progress(_db(request), user_id, track_id))
    if body is None:
        raise ApiError(404, "track_not_found", "no such learning track")
    return _json(body)


async def _load_stats(request: web.Request, user_id: uuid.UUID) -> dict:
    async with _db(request).engine.connect() as conn:
        row = (await conn.execute(text("SELECT * FROM user_statistics WHERE user_id = :u"),
                                  {"u": user_id})).mappings().first()
    return {"user_id": str(user_id), "statistics": dict(row) if row else None}


async def get_stats(request: web.Request) -> web.Response:
    user_id = path_uuid(request, "user_id", "student")
    await authorize_student_data(request, user_id)
    return _json(await _cache(request).user_stats(user_id, lambda: _load_stats(request, user_id)))


async def _grid_params(request: web.Request) -> tuple[uuid.UUID, str]:
    track_id = query_uuid(request, "track_id")
    operations = await grid.track_operations(_db(request), track_id)
    if operations is None:
        raise ApiError(404, "track_not_found", "no such learning track")
    operation = request.query.get("operation") or (operations[0] if len(operations) == 1 else None)
    if operation not in OPERATIONS or operation not in operations:
        raise ApiError(400, "invalid_operation",
                       f"operation must be one of this track's: {' '.join(operations)}")
    return track_id, operation


async def get_user_grid(request: web.Request) -> web.Response:
    user_id = path_uuid(request, "user_id", "student")
    await authorize_student_data(request, user_id)
    track_id, operation = await _grid_params(request)
    body = await _cache(request).grid(
        user_id, track_id, operation,
        lambda: grid.student_grid(_db(request), user_id, track_id, operation))
    return _json(body)


async def get_class_grid(request: web.Request) -> web.Response:
    class_id = path_uuid(request, "class_id", "class")
    await authorize_class(request, class_id)
    track_id, operation = await _grid_params(request)
    return _json(await grid.class_grid(_db(request), class_id, track_id, operation))


async def get_daily_goal(request: web.Request) -> web.Response:
    user_id = path_uuid(request, "user_id", "student")
    await authorize_student_data(request, user_id)
    return _json(await practice.daily_goal(_db(request), user_id, _now(request).date()))


# --- solo practice (the signed-in student only) ---------------------------------------------


async def _student(request: web.Request) -> uuid.UUID:
    user_id, role = await principal(request)
    if role == "teacher":
        raise ApiError(403, "students_only", "solo practice is for students")
    return user_id


def _session_id(request: web.Request) -> uuid.UUID:
    return path_uuid(request, "session_id", "practice session")


async def start_practice(request: web.Request) -> web.Response:
    user_id = await _student(request)
    body = await read_body(request, NewPracticeSession)
    result = await practice.start_session(_db(request), _cache(request), user_id, body.track_id,
                                          body.mode, _now(request))
    return _json(result, 201)


async def next_question(request: web.Request) -> web.Response:
    user_id = await _student(request)
    return _json(await practice.next_question(_db(request), _cache(request), user_id,
                                              _session_id(request), _now(request).date()))


async def answer(request: web.Request) -> web.Response:
    user_id = await _student(request)
    session_id = _session_id(request)
    body = await read_body(request, PracticeAnswer)
    result = await practice.submit_answer(
        _db(request), _cache(request), request.app[app_keys.ANSWER_WRITER], user_id, session_id,
        attempt_id=body.attempt_id, question_id=body.question_id, raw_input=body.answer,
        response_time_ms=body.response_time_ms, now=_now(request))
    return _json(result)


async def pause(request: web.Request) -> web.Response:
    user_id = await _student(request)
    return _json(await practice.pause_session(_db(request), user_id, _session_id(request), _now(request)))


async def resume(request: web.Request) -> web.Response:
    user_id = await _student(request)
    return _json(await practice.resume_session(_db(request), user_id, _session_id(request), _now(request)))


async def finish(request: web.Request) -> web.Response:
    user_id = await _student(request)
    return _json(await practice.finish_session(_db(request), _cache(request), user_id,
                                               _session_id(request), _now(request)))


async def summary(request: web.Request) -> web.Response:
    user_id = await _student(request)
    return _json(await practice.session_summary(_db(request), user_id, _session_id(request),
                                                _now(request)))


# --- wiring -------------------------------------------------------------------------------


async def curriculum_ctx(app: web.Application) -> AsyncIterator[None]:
    """The learning cache, and the after-commit hook on the answer writer (when present).

    Append after the Redis, database and answer-writer contexts."""
    settings = app[app_keys.SETTINGS]
    metrics = app.get(app_keys.METRICS)
    cache = LearningCache(app[app_keys.REDIS], settings.redis_prefix,
                          on_hit=metrics.cache_hit if metrics else None,
                          on_miss=metrics.cache_miss if metrics else None)
    app[app_keys.LEARNING_CACHE] = cache
    refresher = ProgressRefresher(app[app_keys.DATABASE], cache)
    refresher.start()
    app[app_keys.PROGRESS_REFRESHER] = refresher
    if app_keys.ANSWER_WRITER in app:
        app[app_keys.ANSWER_WRITER].add_after_commit_hook(
            CurriculumAfterCommit(app[app_keys.DATABASE], cache, refresher))
    yield
    # The answer writer's context (earlier in the list) stops after this one: answers it
    # still commits then are refreshed by their students' next answer.
    await refresher.stop()


def setup_curriculum(app: web.Application) -> None:
    if app_keys.CLOCK not in app:
        app[app_keys.CLOCK] = utc_now
    app.middlewares.append(curriculum_errors)
    app.cleanup_ctx.append(curriculum_ctx)
    r = app.router
    r.add_post("/api/students/session", student_session)
    r.add_get("/api/users/{user_id}/tracks", list_tracks)
    r.add_get("/api/users/{user_id}/tracks/{track_id}/progress", get_track_progress)
    r.add_get("/api/users/{user_id}/stats", get_stats)
    r.add_get("/api/users/{user_id}/grid", get_user_grid)
    r.add_get("/api/users/{user_id}/daily-goal", get_daily_goal)
    r.add_get("/api/classes/{class_id}/grid", get_class_grid)
    r.add_post("/api/practice/sessions", start_practice)
    r.add_get("/api/practice/sessions/{session_id}/next", next_question)
    r.add_post("/api/practice/sessions/{session_id}/answers", answer)
    r.add_post("/api/practice/sessions/{session_id}/pause", pause)
    r.add_post("/api/practice/sessions/{session_id}/resume", resume)
    r.add_post("/api/practice/sessions/{session_id}/finish", finish)
    r.add_get("/api/practice/sessions/{session_id}/summary", summary)
