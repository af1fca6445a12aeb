"""A teacher's controls over their students' practice, per student and per class: the track
they work on, unlocking a locked track, the daily goal, and accommodations (docs/practice.md,
"Teacher controls")."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field

from learning.accommodations import InvalidAccommodation, parse_time_multiplier
from persistence.curriculum import controls, grid
from persistence.rosters import roster, teacher_has_student
from server import app_keys
from server.auth import require_teacher
from server.errors import ApiError
from server.learning_access import authorize_class, authorize_student_data
from server.request_body import Body, path_uuid, read_body

GoalMinutes = Annotated[int, Field(ge=1, le=120)]


class SettingsPatch(Body):
    """Only the fields given change; `assigned_track_id: null` takes the assignment away."""

    assigned_track_id: uuid.UUID | None = None
    time_multiplier: float | Literal["untimed"] | None = None
    accuracy_scoring: bool | None = None
    daily_goal_minutes: GoalMinutes | None = None


def _now(request: web.Request) -> dt.datetime:
    return request.app[app_keys.CLOCK]()


async def _teachers_student(request: web.Request) -> tuple[uuid.UUID, uuid.UUID]:
    """(teacher_id, user_id) when the caller teaches the student in the path; 401/403."""
    teacher_id = await require_teacher(request)
    user_id = path_uuid(request, "user_id", "student")
    if not await teacher_has_student(request.app[app_keys.DATABASE], teacher_id, user_id):
        raise ApiError(403, "forbidden", "This student is not on one of your class rosters.")
    return teacher_id, user_id


async def _track(request: web.Request, track_id: uuid.UUID | None, *, field: str | None = None) -> None:
    if track_id is not None and await grid.track_operations(request.app[app_keys.DATABASE], track_id) is None:
        if field:
            raise ApiError(400, "invalid_payload", f"{field}: no such learning track")
        raise ApiError(404, "track_not_found", "no such learning track")


async def _apply(request: web.Request, teacher_id: uuid.UUID,
                 user_ids: list[uuid.UUID]) -> dict[uuid.UUID, controls.StudentSettings]:
    body = await read_body(request, SettingsPatch)
    given = body.model_fields_set
    changes: dict[str, Any] = {}
    if "assigned_track_id" in given:
        await _track(request, body.assigned_track_id, field="assigned_track_id")
        changes["assigned_track_id"] = body.assigned_track_id
    if "time_multiplier" in given:
        if body.time_multiplier is None:
            raise ApiError(400, "invalid_payload", 'time_multiplier must be 1, 1.5, 2 or "untimed"')
        try:
            multiplier: Decimal | None = parse_time_multiplier(body.time_multiplier)
        except InvalidAccommodation as exc:
            raise ApiError(400, exc.code, str(exc)) from None
        changes["time_multiplier"] = multiplier
    if body.accuracy_scoring is not None:
        changes["accuracy_scoring"] = body.accuracy_scoring
    if body.daily_goal_minutes is not None:
        changes["daily_goal_minutes"] = body.daily_goal_minutes
    return await controls.update_settings(request.app[app_keys.DATABASE], teacher_id, user_ids,
                                          _now(request), **changes)


# --- one student ------------------------------------------------------------------------------


async def show_student_settings(request: web.Request) -> web.Response:
    user_id = path_uuid(request, "user_id", "student")
    await authorize_student_data(request, user_id)  # the student themself, or their teacher
    found = await controls.settings_of(request.app[app_keys.DATABASE], [user_id])
    if user_id not in found:
        raise ApiError(404, "not_found", "no such student")
    return web.json_response(found[user_id].as_json())


async def change_student_settings(request: web.Request) -> web.Response:
    teacher_id, user_id = await _teachers_student(request)
    updated = await _apply(request, teacher_id, [user_id])
    return web.json_response(updated[user_id].as_json())


async def unlock_student_track(request: web.Request) -> web.Response:
    teacher_id, user_id = await _teachers_student(request)
    track_id = path_uuid(request, "track_id", "track")
    await _track(request, track_id)
    opened = await controls.unlock_track(request.app[app_keys.DATABASE], teacher_id, [user_id],
                                         track_id, _now(request))
    return web.json_response({"user_id": str(user_id), "track_id": str(track_id),
                              "is_unlocked": True, "unlocked_now": bool(opened)})


# --- a whole class ----------------------------------------------------------------------------


async def _class_students(request: web.Request) -> tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]:
    class_id = path_uuid(request, "class_id", "class")
    teacher_id = await authorize_class(request, class_id)
    students = [s.user_id for s in await roster(request.app[app_keys.DATABASE], class_id)]
    return teacher_id, class_id, students


async def change_class_settings(request: web.Request) -> web.Response:
    teacher_id, class_id, students = await _class_students(request)
    if not students:
        raise ApiError(409, "class_empty", "This class has no students yet.")
    updated = await _apply(request, teacher_id, students)
    return web.json_response({"class_id": str(class_id),
                              "students": [updated[s].as_json() for s in students]})


async def unlock_class_track(request: web.Request) -> web.Response:
    teacher_id, class_id, students = await _class_students(request)
    track_id = path_uuid(request, "track_id", "track")
    await _track(request, track_id)
    opened = await controls.unlock_track(request.app[app_keys.DATABASE], teacher_id, students,
                                         track_id, _now(request))
    return web.json_response({"class_id": str(class_id), "track_id": str(track_id),
                              "unlocked_now": [str(u) for u in opened]})


async def list_class_settings(request: web.Request) -> web.Response:
    _, class_id, students = await _class_students(request)
    found = await controls.settings_of(request.app[app_keys.DATABASE], students)
    return web.json_response({"class_id": str(class_id),
                              "students": [found[s].as_json() for s in students if s in found]})


ROUTES = [
    web.get("/api/users/{user_id}/settings", show_student_settings),
    web.patch("/api/users/{user_id}/settings", change_student_settings),
    web.post("/api/users/{user_id}/tracks/{track_id}/unlock", unlock_student_track),
    web.get("/api/classes/{class_id}/settings", list_class_settings),
    web.patch("/api/classes/{class_id}/settings", change_class_settings),
    web.post("/api/classes/{class_id}/tracks/{track_id}/unlock", unlock_class_track),
]
