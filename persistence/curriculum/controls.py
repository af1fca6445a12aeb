"""What a teacher sets for their students, stored: an assigned track, an unlocked track, the
daily goal, and accommodations (more time or none, accuracy scoring). docs/practice.md,
"Teacher controls". Every write names the students it is for; the caller has checked that
they are this teacher's.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from learning.accommodations import Accommodation
from persistence.curriculum.progress import Unlocked, track_progress_in, unlock_in
from persistence.database import Database

DEFAULT_DAILY_GOAL_MINUTES = 15


@dataclass(frozen=True)
class StudentSettings:
    user_id: uuid.UUID
    assigned_track_id: uuid.UUID | None
    accommodation: Accommodation
    daily_goal_minutes: int

    def as_json(self) -> dict[str, Any]:
        return {"user_id": str(self.user_id),
                "assigned_track_id": str(self.assigned_track_id) if self.assigned_track_id else None,
                **self.accommodation.as_json(), "daily_goal_minutes": self.daily_goal_minutes}


_SELECT = text(
    "SELECT u.id, s.assigned_track_id, s.user_id IS NOT NULL AS has_row, s.time_multiplier, "
    "COALESCE(s.accuracy_scoring, false), COALESCE(u.daily_goal_minutes, :goal) "
    "FROM users u LEFT JOIN student_settings s ON s.user_id = u.id "
    "WHERE u.id = ANY(CAST(:ids AS uuid[]))")


async def settings_in(conn: AsyncConnection,
                      user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, StudentSettings]:
    rows = (await conn.execute(_SELECT, {"ids": list(user_ids),
                                         "goal": DEFAULT_DAILY_GOAL_MINUTES})).all()
    return {r[0]: StudentSettings(r[0], r[1], Accommodation.stored(r[3] if r[2] else Decimal(1), r[4]),
                                  r[5]) for r in rows}


async def settings_of(db: Database, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, StudentSettings]:
    async with db.engine.connect() as conn:
        return await settings_in(conn, user_ids)


_UNSET: Any = object()


async def update_settings(db: Database, teacher_id: uuid.UUID, user_ids: Sequence[uuid.UUID],
                          now: dt.datetime, *, assigned_track_id: uuid.UUID | None = _UNSET,
                          time_multiplier: Decimal | None = _UNSET,
                          accuracy_scoring: bool | None = None,
                          daily_goal_minutes: int | None = None) -> dict[uuid.UUID, StudentSettings]:
    """Sets what is given for every student of `user_ids` (what is not given stays). A track
    assigned while locked for a student is unlocked for them too (a learning event)."""
    ids = sorted(set(user_ids))
    async with db.engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO student_settings (user_id, updated_at) "
            "SELECT u, :now FROM unnest(CAST(:ids AS uuid[])) u "
            "ON CONFLICT (user_id) DO UPDATE SET updated_at = EXCLUDED.updated_at"),
            {"ids": ids, "now": now})
        if assigned_track_id is not _UNSET:
            await conn.execute(text(
                "UPDATE student_settings SET assigned_track_id = :track "
                "WHERE user_id = ANY(CAST(:ids AS uuid[]))"), {"ids": ids, "track": assigned_track_id})
            if assigned_track_id is not None:
                await _unlock_in(conn, teacher_id, ids, assigned_track_id, now, reason="assigned")
        if time_multiplier is not _UNSET:  # None: untimed
            await conn.execute(text(
                "UPDATE student_settings SET time_multiplier = :m "
                "WHERE user_id = ANY(CAST(:ids AS uuid[]))"), {"ids": ids, "m": time_multiplier})
        if accuracy_scoring is not None:
            await conn.execute(text(
                "UPDATE student_settings SET accuracy_scoring = :a "
                "WHERE user_id = ANY(CAST(:ids AS uuid[]))"), {"ids": ids, "a": accuracy_scoring})
        if daily_goal_minutes is not None:
            await conn.execute(text(
                "UPDATE users SET daily_goal_minutes = :g WHERE id = ANY(CAST(:ids AS uuid[]))"),
                {"ids": ids, "g": daily_goal_minutes})
        return await settings_in(conn, ids)


async def unlock_track(db: Database, teacher_id: uuid.UUID, user_ids: Sequence[uuid.UUID],
                       track_id: uuid.UUID, now: dt.datetime) -> list[uuid.UUID]:
    """Unlocks the track for each student it was locked for, with a `track_unlocked` learning
    event naming the teacher; returns those students. A track whose sections the student had
    all completed while it was locked (a placement quiz) completes now, and what it opens
    opens with it."""
    async with db.engine.begin() as conn:
        return await _unlock_in(conn, teacher_id, sorted(set(user_ids)), track_id, now,
                                reason="teacher")


async def _unlock_in(conn: AsyncConnection, teacher_id: uuid.UUID, user_ids: list[uuid.UUID],
                     track_id: uuid.UUID, now: dt.datetime, *, reason: str) -> list[uuid.UUID]:
    # The same per-student lock the progress refresh takes, so an unlock and a refresh of the
    # same student never interleave.
    await conn.execute(text(
        "SELECT count(pg_advisory_xact_lock(hashtextextended('mathrally:progress:' || u::text, 0))) "
        "FROM (SELECT DISTINCT u FROM unnest(CAST(:ids AS uuid[])) AS u ORDER BY u) s"),
        {"ids": user_ids})
    opened = list((await conn.execute(text(
        "INSERT INTO user_track_progress AS utp (user_id, track_id, started_date, is_unlocked) "
        "SELECT u, t.id, NULL, true FROM unnest(CAST(:ids AS uuid[])) u "
        "JOIN learning_tracks t ON t.id = :track "
        "WHERE cardinality(COALESCE(t.prerequisite_track_ids, '{}')) > 0 "
        "ON CONFLICT (user_id, track_id) DO UPDATE SET is_unlocked = true "
        "WHERE NOT COALESCE(utp.is_unlocked, false) RETURNING utp.user_id"),
        {"ids": user_ids, "track": track_id})).scalars())
    if not opened:
        return []
    payload = json.dumps({"track_id": str(track_id), "teacher_id": str(teacher_id), "reason": reason})
    await conn.execute(text(
        "INSERT INTO learning_events (type, user_id, timestamp, payload) "
        "SELECT 'track_unlocked', u, :now, CAST(:p AS jsonb) FROM unnest(CAST(:ids AS uuid[])) u"),
        {"ids": opened, "now": now, "p": payload})
    await track_progress_in(conn, (Unlocked(u, track_id) for u in opened), now)
    await unlock_in(conn, opened, now)
    return opened
