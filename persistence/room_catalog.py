"""Rooms as teachers create and list them: settings, join code, screen key, owner."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from persistence.database import Database

# With a million codes and at most thousands of open rooms, a retry is rare and a run of
# this many collisions means the code space is nearly full (or the generator is broken).
MAX_CODE_ATTEMPTS = 20


class NoFreeCode(Exception):
    """No unused join code was found in MAX_CODE_ATTEMPTS tries."""


@dataclass(frozen=True)
class RoomSpec:
    title: str | None
    operation: str
    min_operand: int | None
    max_operand: int | None
    track_id: uuid.UUID | None
    question_count: int
    time_limit_ms: int
    auto_advance_ms: int | None
    personal_rounds: bool = False
    team_names: tuple[str, ...] = ()  # team mode: 2..8 names; none without teams
    class_id: uuid.UUID | None = None  # the class whose boards the projector's lobby shows
    scoring_mode: str = "speed"


@dataclass(frozen=True)
class RoomRecord:
    id: uuid.UUID
    teacher_id: uuid.UUID
    code: str
    screen_key: str
    title: str | None
    operation: str
    min_operand: int | None
    max_operand: int | None
    track_id: uuid.UUID | None
    question_count: int
    time_limit_ms: int
    auto_advance_ms: int | None
    scoring_mode: str
    status: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    player_count: int
    personal_rounds: bool
    team_names: tuple[str, ...]
    class_id: uuid.UUID | None


_COLUMNS = (
    "r.id, r.teacher_id, r.code, r.screen_key, r.title, r.operation, r.min_operand, "
    "r.max_operand, r.track_id, r.question_count, r.time_limit_ms, r.auto_advance_ms, "
    "r.scoring_mode, r.status, r.created_at, r.started_at, r.finished_at, "
    "(SELECT count(*) FROM room_players p WHERE p.room_id = r.id) AS player_count, r.personal_rounds, "
    "ARRAY(SELECT t.name FROM room_teams t WHERE t.room_id = r.id ORDER BY t.team_index), r.class_id")


def _record(row: Sequence[Any]) -> RoomRecord:
    fields = list(row)
    fields[-2] = tuple(fields[-2])  # the team names come as a list
    return RoomRecord(*fields)


async def track_operations(db: Database, track_id: uuid.UUID) -> list[str] | None:
    """The operations a track practises ([] when it does not say); None when there is no track."""
    async with db.engine.connect() as conn:
        row = (await conn.execute(text(
            "SELECT operations FROM learning_tracks WHERE id = :t"), {"t": track_id})).first()
    return None if row is None else list(row.operations or [])


async def create_room(db: Database, teacher_id: uuid.UUID, spec: RoomSpec, *, screen_key: str,
                      make_code: Callable[[], str]) -> RoomRecord:
    """Insert a room under a join code no open room holds; NoFreeCode when none is found."""
    params = {**{k: v for k, v in spec.__dict__.items() if k != "team_names"},
              "teacher_id": teacher_id, "screen_key": screen_key}
    for _ in range(MAX_CODE_ATTEMPTS):
        async with db.sessions() as session, session.begin():
            # The partial unique index idx_rooms_open_code decides, race-free across workers.
            room_id = await session.scalar(text(
                "INSERT INTO rooms (teacher_id, code, title, operation, min_operand, max_operand, "
                "track_id, question_count, time_limit_ms, auto_advance_ms, personal_rounds, screen_key, "
                "class_id, scoring_mode) "
                "VALUES (:teacher_id, :code, :title, :operation, :min_operand, :max_operand, :track_id, "
                ":question_count, :time_limit_ms, :auto_advance_ms, :personal_rounds, :screen_key, "
                ":class_id, :scoring_mode) "
                "ON CONFLICT (code) WHERE status <> 'finished' DO NOTHING RETURNING id"),
                {**params, "code": make_code()})
            if room_id is not None and spec.team_names:
                await session.execute(text(
                    "INSERT INTO room_teams (room_id, team_index, name) SELECT :r, i - 1, name "
                    "FROM unnest(CAST(:names AS varchar[])) WITH ORDINALITY AS t(name, i)"),
                    {"r": room_id, "names": list(spec.team_names)})
        if room_id is not None:
            room = await get_room(db, room_id)
            assert room is not None
            return room
    raise NoFreeCode()


@dataclass(frozen=True)
class OpenRoomsToday:
    """A teacher's rooms made in the last day that are still open (each holds a join code),
    and when the oldest of them leaves that day: seconds from now."""

    count: int
    oldest_leaves_in_s: int


async def recent_open_rooms(db: Database, teacher_id: uuid.UUID) -> OpenRoomsToday:
    async with db.engine.connect() as conn:
        count, leaves_in = (await conn.execute(text(
            "SELECT count(*), ceil(extract(epoch FROM min(created_at) + interval '1 day' "
            "- (now() AT TIME ZONE 'UTC'))) FROM rooms WHERE teacher_id = :t "
            "AND status <> 'finished' "
            "AND created_at > (now() AT TIME ZONE 'UTC') - interval '1 day'"), {"t": teacher_id})).one()
    return OpenRoomsToday(int(count), max(int(leaves_in or 0), 1))


async def get_room(db: Database, room_id: uuid.UUID) -> RoomRecord | None:
    async with db.engine.connect() as conn:
        row = (await conn.execute(text(f"SELECT {_COLUMNS} FROM rooms r WHERE r.id = :r"),
                                  {"r": room_id})).first()
    return _record(row) if row else None


async def rooms_of_teacher(db: Database, teacher_id: uuid.UUID, *, limit: int = 200) -> list[RoomRecord]:
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text(
            f"SELECT {_COLUMNS} FROM rooms r WHERE r.teacher_id = :t "
            "ORDER BY r.created_at DESC, r.id LIMIT :n"), {"t": teacher_id, "n": limit})).all()
    return [_record(row) for row in rows]
