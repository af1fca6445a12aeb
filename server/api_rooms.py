"""POST /api/rooms, GET /api/rooms, GET /api/rooms/{room_id}: a teacher's live rooms."""

from __future__ import annotations

import secrets
import uuid
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from aiohttp import web
from pydantic import AfterValidator, Field, model_validator

from persistence.room_catalog import (
    NoFreeCode,
    RoomRecord,
    RoomSpec,
    create_room,
    get_room,
    recent_open_rooms,
    rooms_of_teacher,
    track_operations,
)
from persistence.rosters import class_owner
from rooms.teams import MAX_TEAMS, MIN_TEAMS, default_names
from server import app_keys
from server.auth import require_teacher
from server.display_names import clean_line
from server.errors import ApiError
from server.pages import public_base_url
from server.request_body import Body, path_uuid, read_body
from server.timestamps import epoch_ms

# Open rooms hold join codes; one account must not be able to fill the code space.
MAX_OPEN_ROOMS_PER_DAY = 50

# Without a track, a room practises facts whose operands lie in this range (the game's own
# default, learning.questions.DEFAULT_RANGE, stored explicitly so the room shows what it asks).
DEFAULT_OPERANDS = (0, 10)


def new_join_code() -> str:
    """Six digits from the OS's CSPRNG: one code says nothing about any other."""
    return f"{secrets.randbelow(1_000_000):06d}"


def _title(value: str | None) -> str | None:
    if value is None:
        return None
    return clean_line(value, max_length=100, what="a title") or None  # blank means untitled


Operand = Annotated[int, Field(ge=0, le=100)]


class NewRoom(Body):
    title: Annotated[str | None, AfterValidator(_title)] = None
    operation: Literal["+", "-", "×", "÷"]
    min_operand: Operand | None = None
    max_operand: Operand | None = None
    track_id: uuid.UUID | None = None
    question_count: Annotated[int, Field(ge=1, le=100)]
    time_limit_ms: Annotated[int, Field(ge=3000, le=120_000)]
    auto_advance_ms: Annotated[int, Field(ge=1000, le=60_000)] | None = None
    # Personal rounds: each player gets their own fact from the track at every question.
    personal: bool = False
    # Team mode: how many teams (their names are the standard colours, rooms/teams.py).
    teams: Annotated[int, Field(ge=MIN_TEAMS, le=MAX_TEAMS)] | None = None
    # The class playing, whose week's board the projector's lobby shows.
    class_id: uuid.UUID | None = None
    # "accuracy": a correct answer scores 1000 whatever its time (no speed part).
    scoring: Literal["speed", "accuracy"] = "speed"

    @model_validator(mode="after")
    def _operand_range(self) -> NewRoom:
        spec = self.spec()
        low, high = spec.min_operand, spec.max_operand
        if low is not None and high is not None and low > high:
            raise ValueError("min_operand must not be greater than max_operand")
        if self.operation == "÷" and high is not None and high < 1:
            raise ValueError("division needs a divisor above 0: max_operand must be at least 1")
        if self.personal and self.track_id is None:
            raise ValueError("personal: personal rounds choose each student's facts from a learning "
                             "track; give a track_id")
        return self

    def spec(self) -> RoomSpec:
        low, high = self.min_operand, self.max_operand
        if self.track_id is None:
            low = DEFAULT_OPERANDS[0] if low is None else low
            high = DEFAULT_OPERANDS[1] if high is None else high
        return RoomSpec(title=self.title, operation=self.operation, min_operand=low,
                        max_operand=high, track_id=self.track_id,
                        question_count=self.question_count, time_limit_ms=self.time_limit_ms,
                        auto_advance_ms=self.auto_advance_ms, personal_rounds=self.personal,
                        team_names=default_names(self.teams) if self.teams else (),
                        class_id=self.class_id, scoring_mode=self.scoring)


def room_json(request: web.Request, room: RoomRecord) -> dict[str, Any]:
    base = public_base_url(request)
    return {
        "room_id": str(room.id),
        "code": room.code,
        "screen_key": room.screen_key,
        "join_url": f"{base}/join?{urlencode({'code': room.code})}",
        "screen_url": f"{base}/screen?{urlencode({'code': room.code, 'key': room.screen_key})}",
        "title": room.title,
        "operation": room.operation,
        "min_operand": room.min_operand,
        "max_operand": room.max_operand,
        "track_id": str(room.track_id) if room.track_id else None,
        "question_count": room.question_count,
        "time_limit_ms": room.time_limit_ms,
        "auto_advance_ms": room.auto_advance_ms,
        "personal": room.personal_rounds,
        "teams": len(room.team_names) or None,
        "team_names": list(room.team_names),
        "class_id": str(room.class_id) if room.class_id else None,
        "scoring": room.scoring_mode,
        "scoring_mode": room.scoring_mode,
        "status": room.status,
        "player_count": room.player_count,
        "created_at": epoch_ms(room.created_at),
        "started_at": epoch_ms(room.started_at),
        "finished_at": epoch_ms(room.finished_at),
    }


async def owned_room(request: web.Request) -> RoomRecord:
    """The room named in the path if the caller owns it: 401, 404 or 403 otherwise."""
    teacher_id = await require_teacher(request)
    room = await get_room(request.app[app_keys.DATABASE], path_uuid(request, "room_id", "room"))
    if room is None:
        raise ApiError(404, "not_found", "no such room")
    if room.teacher_id != teacher_id:
        raise ApiError(403, "forbidden", "this room belongs to another teacher")
    return room


async def create(request: web.Request) -> web.Response:
    teacher_id = await require_teacher(request)
    body = await read_body(request, NewRoom)
    db = request.app[app_keys.DATABASE]
    open_today = await recent_open_rooms(db, teacher_id)
    if open_today.count >= MAX_OPEN_ROOMS_PER_DAY:
        # Retry-After: when the oldest of them stops counting by itself (finishing a room
        # frees its place at once).
        raise ApiError(429, "too_many_rooms",
                       f"at most {MAX_OPEN_ROOMS_PER_DAY} open rooms a day; finish some first",
                       headers={"Retry-After": str(open_today.oldest_leaves_in_s)})
    if body.class_id is not None and await class_owner(db, body.class_id) != teacher_id:
        raise ApiError(400, "invalid_payload", "class_id: not one of your classes")
    if body.track_id is not None:
        operations = await track_operations(db, body.track_id)
        if operations is None:
            raise ApiError(400, "invalid_payload", "track_id: no such track")
        if operations and body.operation not in operations:
            raise ApiError(400, "invalid_payload",
                           f"track_id: this track does not practise {body.operation}")
    try:
        room = await create_room(db, teacher_id, body.spec(), screen_key=secrets.token_urlsafe(24),
                                 make_code=new_join_code)
    except NoFreeCode:
        raise ApiError(503, "no_free_code", "no free join code; try again shortly") from None
    return web.json_response(room_json(request, room), status=201)


async def list_rooms(request: web.Request) -> web.Response:
    teacher_id = await require_teacher(request)
    rooms = await rooms_of_teacher(request.app[app_keys.DATABASE], teacher_id)
    return web.json_response({"rooms": [room_json(request, room) for room in rooms]})


async def show(request: web.Request) -> web.Response:
    return web.json_response(room_json(request, await owned_room(request)))


ROUTES = [
    web.post("/api/rooms", create),
    web.get("/api/rooms", list_rooms),
    web.get("/api/rooms/{room_id}", show),
]
