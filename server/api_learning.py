"""HTTP for the learning side: student sign-in, tracks, progress, grids, solo practice.

Handlers parse, authorise, call one persistence function and reply (docs/practice.md);
`practice_errors` turns practice's refusals into HTTP statuses.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from decimal import Decimal

from aiohttp import web
from aiohttp.typedefs import Handler

from learning.practice import PracticeError
from persistence.accounts import issue_token, student_for_key
from persistence.curriculum import grid, practice, progress
from persistence.curriculum.cache import LearningCache
from persistence.database import Database
from persistence.read_routing import ReadRouting
from persistence.rosters import display_name_of
from server import app_keys
from server.client_address import client_address
from server.errors import ApiError, error_response
from server.failure_limits import WRONG_STUDENT_KEYS, rate_limited
from server.learning_access import authorize_class, authorize_student_data, principal, query_uuid
from server.request_body import Body, path_uuid, read_body
from server.timestamps import epoch_ms

OPERATIONS = ("+", "-", "×", "÷")


def _now(request: web.Request) -> dt.datetime:
    return request.app[app_keys.CLOCK]()


def _db(request: web.Request) -> Database:
    return request.app[app_keys.DATABASE]


def _reads(request: web.Request) -> ReadRouting:
    """Reads a replica may serve. A student's own figures are read fresh (every earlier
    answer included: they also fill the cache under the current generation); a class's grid
    may lag by DATABASE_REPLICA_MAX_LAG_MS."""
    return request.app[app_keys.READS]


def _cache(request: web.Request) -> LearningCache:
    return request.app[app_keys.LEARNING_CACHE]


def _default(value: object) -> object:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _json(body: object, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda v: json.dumps(v, default=_default))


# Practice's refusals (learning.practice.PracticeError) by code: bad input, nothing there,
# locked, storage trouble (nothing stored; retry), and otherwise a conflict with the session's
# state (session_paused, session_completed, session_not_paused, already_answered, and the
# answer writer's attempt_id_conflict and the like).
PRACTICE_STATUS = {
    "invalid_mode": 400, "invalid_response_time": 400, "invalid_answer": 400,
    "question_not_in_session": 400, "invalid_attempt": 400,
    "session_not_found": 404, "track_not_found": 404, "track_locked": 403,
    "storage_unavailable": 503, "writer_stopped": 503,
}


@web.middleware
async def practice_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The practice service's expected failures, in the contract's error body."""
    try:
        return await handler(request)
    except PracticeError as exc:
        return error_response(PRACTICE_STATUS.get(exc.code, 409), exc.code, exc.message)


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


async def student_session(request: web.Request) -> web.Response:
    body = await read_body(request, StudentSignIn)
    # Successes are never counted, so a school signing in from one address costs nothing;
    # wrong keys are, and past the limit no key is checked (guessing stays slow).
    limits, address = request.app[app_keys.FAILURE_LIMITS], client_address(request)
    retry_after = await limits.retry_after(WRONG_STUDENT_KEYS, address)
    if retry_after is not None:
        raise rate_limited(retry_after, "too many wrong student keys from this address; "
                                        "try again later")
    student = await student_for_key(_db(request), body.student_key)
    if student is None:
        await limits.count(WRONG_STUDENT_KEYS, address)
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
    return _json({"tracks": await _reads(request).fresh(
        lambda db: progress.track_overview(db, user_id))})


async def get_track_progress(request: web.Request) -> web.Response:
    user_id = path_uuid(request, "user_id", "student")
    track_id = path_uuid(request, "track_id", "track")
    await authorize_student_data(request, user_id)
    body = await _cache(request).track_progress(
        user_id, track_id, lambda: _reads(request).fresh(
            lambda db: progress.track_progress(db, user_id, track_id)))
    if body is None:
        raise ApiError(404, "track_not_found", "no such learning track")
    return _json(body)


async def get_stats(request: web.Request) -> web.Response:
    user_id = path_uuid(request, "user_id", "student")
    await authorize_student_data(request, user_id)
    return _json(await _cache(request).user_stats(
        user_id, lambda: _reads(request).fresh(lambda db: progress.user_statistics(db, user_id))))


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
        lambda: _reads(request).fresh(lambda db: grid.student_grid(db, user_id, track_id, operation)))
    # The page's title: whose grid this is (a teacher may have several open).
    return _json({**body, "display_name": await display_name_of(_db(request), user_id)})


async def get_class_grid(request: web.Request) -> web.Response:
    class_id = path_uuid(request, "class_id", "class")
    await authorize_class(request, class_id)
    track_id, operation = await _grid_params(request)
    return _json(await _reads(request).bounded(
        lambda db: grid.class_grid(db, class_id, track_id, operation)))


async def get_today(request: web.Request) -> web.Response:
    user_id = path_uuid(request, "user_id", "student")
    await authorize_student_data(request, user_id)
    today = _now(request).date()
    return _json(await _reads(request).fresh(lambda db: practice.student_today(db, user_id, today)))


async def get_daily_goal(request: web.Request) -> web.Response:
    user_id = path_uuid(request, "user_id", "student")
    await authorize_student_data(request, user_id)
    today = _now(request).date()
    return _json(await _reads(request).fresh(lambda db: practice.daily_goal(db, user_id, today)))


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


def _typed(answer: str | int) -> str:
    """A JSON number stands for the digits it would have been typed as."""
    return answer if isinstance(answer, str) else str(answer)


async def answer(request: web.Request) -> web.Response:
    user_id = await _student(request)
    session_id = _session_id(request)
    body = await read_body(request, PracticeAnswer)
    result = await practice.submit_answer(
        _db(request), _cache(request), request.app[app_keys.ANSWER_WRITER], user_id, session_id,
        attempt_id=body.attempt_id, question_id=body.question_id, typed=_typed(body.answer),
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


ROUTES = [
    web.post("/api/students/session", student_session),
    web.get("/api/users/{user_id}/tracks", list_tracks),
    web.get("/api/users/{user_id}/tracks/{track_id}/progress", get_track_progress),
    web.get("/api/users/{user_id}/stats", get_stats),
    web.get("/api/users/{user_id}/grid", get_user_grid),
    web.get("/api/users/{user_id}/daily-goal", get_daily_goal),
    web.get("/api/users/{user_id}/today", get_today),
    web.get("/api/classes/{class_id}/grid", get_class_grid),
    web.post("/api/practice/sessions", start_practice),
    web.get("/api/practice/sessions/{session_id}/next", next_question),
    web.post("/api/practice/sessions/{session_id}/answers", answer),
    web.post("/api/practice/sessions/{session_id}/pause", pause),
    web.post("/api/practice/sessions/{session_id}/resume", resume),
    web.post("/api/practice/sessions/{session_id}/finish", finish),
    web.get("/api/practice/sessions/{session_id}/summary", summary),
]
