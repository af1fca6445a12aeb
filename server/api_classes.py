"""/api/classes…: a teacher's classes, their rosters and student keys, export and deletion."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from aiohttp import web
from pydantic import AfterValidator, Field

from persistence import rosters
from server import app_keys
from server.auth import require_teacher
from server.display_names import clean_display_name, clean_required_line
from server.errors import ApiError
from server.request_body import Body, path_uuid, read_body
from server.timestamps import epoch_ms

MAX_STUDENTS_PER_REQUEST = 100


def _class_name(value: str) -> str:
    return clean_required_line(value, max_length=100, what="a class name")


DisplayName = Annotated[str, AfterValidator(clean_display_name)]


class ClassBody(Body):
    name: Annotated[str, AfterValidator(_class_name)]


class NewStudent(Body):
    display_name: DisplayName


class NewStudents(Body):
    # A list of objects rather than of names, so a student can gain fields without a new route.
    students: Annotated[list[NewStudent], Field(min_length=1, max_length=MAX_STUDENTS_PER_REQUEST)]


class StudentRename(Body):
    display_name: DisplayName


def class_json(record: rosters.ClassRecord) -> dict[str, Any]:
    return {"class_id": str(record.id), "name": record.name, "student_count": record.student_count,
            "created_at": epoch_ms(record.created_at)}


def student_json(entry: rosters.RosterEntry) -> dict[str, Any]:
    return {"user_id": str(entry.user_id), "display_name": entry.display_name,
            "student_key": entry.student_key, "created_at": epoch_ms(entry.created_at)}


async def owned_class(request: web.Request) -> rosters.ClassRecord:
    """The class named in the path if the caller owns it: 401, 404 or 403 otherwise."""
    teacher_id = await require_teacher(request)
    record = await rosters.get_class(request.app[app_keys.DATABASE],
                                     path_uuid(request, "class_id", "class"))
    if record is None:
        raise ApiError(404, "not_found", "no such class")
    if record.teacher_id != teacher_id:
        raise ApiError(403, "forbidden", "this class belongs to another teacher")
    return record


def _name_taken(exc: rosters.NameTaken) -> ApiError:
    return ApiError(409, "name_taken", f"{exc.name!r} is already on this class's roster")


async def create_class(request: web.Request) -> web.Response:
    teacher_id = await require_teacher(request)
    body = await read_body(request, ClassBody)
    record = await rosters.create_class(request.app[app_keys.DATABASE], teacher_id, body.name)
    return web.json_response(class_json(record), status=201)


async def list_classes(request: web.Request) -> web.Response:
    teacher_id = await require_teacher(request)
    records = await rosters.classes_of_teacher(request.app[app_keys.DATABASE], teacher_id)
    return web.json_response({"classes": [class_json(r) for r in records]})


async def show_class(request: web.Request) -> web.Response:
    record = await owned_class(request)
    entries = await rosters.roster(request.app[app_keys.DATABASE], record.id)
    return web.json_response({**class_json(record), "students": [student_json(e) for e in entries]})


async def rename_class(request: web.Request) -> web.Response:
    record = await owned_class(request)
    body = await read_body(request, ClassBody)
    db = request.app[app_keys.DATABASE]
    await rosters.rename_class(db, record.id, body.name)
    return web.json_response(class_json(await rosters.get_class(db, record.id) or record))


async def delete_class(request: web.Request) -> web.Response:
    record = await owned_class(request)
    await rosters.delete_class(request.app[app_keys.DATABASE], record.id)
    return web.Response(status=204)


async def list_students(request: web.Request) -> web.Response:
    record = await owned_class(request)
    entries = await rosters.roster(request.app[app_keys.DATABASE], record.id)
    return web.json_response({"students": [student_json(e) for e in entries]})


async def add_students(request: web.Request) -> web.Response:
    record = await owned_class(request)
    body = await read_body(request, NewStudents)
    try:
        added = await rosters.add_students(request.app[app_keys.DATABASE], record.id,
                                           [student.display_name for student in body.students])
    except rosters.NameTaken as exc:
        raise _name_taken(exc) from None
    return web.json_response({"students": [student_json(e) for e in added]}, status=201)


async def rename_student(request: web.Request) -> web.Response:
    record = await owned_class(request)
    user_id = path_uuid(request, "user_id", "student")
    body = await read_body(request, StudentRename)
    try:
        entry = await rosters.rename_student(request.app[app_keys.DATABASE], record.id, user_id,
                                             body.display_name)
    except rosters.NameTaken as exc:
        raise _name_taken(exc) from None
    if entry is None:
        raise ApiError(404, "not_found", "no such student in this class")
    return web.json_response(student_json(entry))


async def remove_student(request: web.Request) -> web.Response:
    record = await owned_class(request)
    user_id = path_uuid(request, "user_id", "student")
    if not await rosters.remove_student(request.app[app_keys.DATABASE], record.id, user_id):
        raise ApiError(404, "not_found", "no such student in this class")
    return web.Response(status=204)


async def export_class(request: web.Request) -> web.Response:
    record = await owned_class(request)
    now = dt.datetime.now(dt.UTC)
    body = {"exported_at": int(now.timestamp() * 1000), "class": class_json(record),
            # Read-your-writes (a roster change just made is in it), from the replica when it
            # has replayed that far.
            "students": await request.app[app_keys.READS].fresh(
                lambda db: rosters.export_class(db, record.id))}
    filename = f"mathrally-class-{record.id}-{now.date().isoformat()}.json"
    return web.json_response(body, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


ROUTES = [
    web.post("/api/classes", create_class),
    web.get("/api/classes", list_classes),
    web.get("/api/classes/{class_id}", show_class),
    web.patch("/api/classes/{class_id}", rename_class),
    web.delete("/api/classes/{class_id}", delete_class),
    web.get("/api/classes/{class_id}/export", export_class),
    web.get("/api/classes/{class_id}/students", list_students),
    web.post("/api/classes/{class_id}/students", add_students),
    web.patch("/api/classes/{class_id}/students/{user_id}", rename_student),
    web.delete("/api/classes/{class_id}/students/{user_id}", remove_student),
]
