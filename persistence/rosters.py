"""Class rosters: a teacher's classes and their pseudonymous students.

A rostered student is a users row with role 'student', a generated username and no email,
plus a class_students row holding the display name and the key the student joins with.
Teachers own this data: they can export it and delete it, and deleting removes every row
the student left anywhere (attempts, progress, statistics, sessions).
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from persistence.database import Database

# No 0/O, 1/I/L: a key read aloud or copied from paper is typed right the first time.
KEY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
KEY_LENGTH = 8
MAX_KEY_ATTEMPTS = 10


def new_student_key() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


class NameTaken(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"{name!r} is already on this class's roster")
        self.name = name


@dataclass(frozen=True)
class ClassRecord:
    id: uuid.UUID
    teacher_id: uuid.UUID
    name: str
    created_at: dt.datetime
    student_count: int


@dataclass(frozen=True)
class RosterEntry:
    user_id: uuid.UUID
    display_name: str
    student_key: str
    created_at: dt.datetime


_CLASS_COLUMNS = ("c.id, c.teacher_id, c.name, c.created_at, "
                  "(SELECT count(*) FROM class_students s WHERE s.class_id = c.id) AS student_count")


async def create_class(db: Database, teacher_id: uuid.UUID, name: str) -> ClassRecord:
    async with db.sessions() as session, session.begin():
        class_id = await session.scalar(text(
            "INSERT INTO classes (teacher_id, name) VALUES (:t, :n) RETURNING id"),
            {"t": teacher_id, "n": name})
    found = await get_class(db, class_id)
    assert found is not None
    return found


async def get_class(db: Database, class_id: uuid.UUID) -> ClassRecord | None:
    async with db.engine.connect() as conn:
        row = (await conn.execute(text(f"SELECT {_CLASS_COLUMNS} FROM classes c WHERE c.id = :c"),
                                  {"c": class_id})).first()
    return ClassRecord(*row) if row else None


async def classes_of_teacher(db: Database, teacher_id: uuid.UUID) -> list[ClassRecord]:
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text(
            f"SELECT {_CLASS_COLUMNS} FROM classes c WHERE c.teacher_id = :t "
            "ORDER BY c.name, c.created_at"), {"t": teacher_id})).all()
    return [ClassRecord(*row) for row in rows]


async def rename_class(db: Database, class_id: uuid.UUID, name: str) -> None:
    async with db.sessions() as session, session.begin():
        await session.execute(text("UPDATE classes SET name = :n WHERE id = :c"),
                              {"n": name, "c": class_id})


async def class_owner(db: Database, class_id: uuid.UUID) -> uuid.UUID | None:
    async with db.engine.connect() as conn:
        owner: uuid.UUID | None = await conn.scalar(
            text("SELECT teacher_id FROM classes WHERE id = :c"), {"c": class_id})
        return owner


async def teacher_has_student(db: Database, teacher_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Is the student on a roster of one of this teacher's classes?"""
    async with db.engine.connect() as conn:
        return bool(await conn.scalar(text(
            "SELECT EXISTS (SELECT 1 FROM class_students s JOIN classes c ON c.id = s.class_id "
            "WHERE s.user_id = :u AND c.teacher_id = :t)"), {"u": user_id, "t": teacher_id}))


async def display_name_of(db: Database, user_id: uuid.UUID) -> str | None:
    """A rostered student's name as their teacher typed it (their first roster entry)."""
    async with db.engine.connect() as conn:
        name: str | None = await conn.scalar(text(
            "SELECT display_name FROM class_students WHERE user_id = :u ORDER BY created_at LIMIT 1"),
            {"u": user_id})
    return name


async def roster(db: Database, class_id: uuid.UUID) -> list[RosterEntry]:
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT user_id, display_name, student_key, created_at FROM class_students "
            "WHERE class_id = :c ORDER BY lower(display_name), created_at"), {"c": class_id})).all()
    return [RosterEntry(*row) for row in rows]


async def _names_in_use(session: AsyncSession, class_id: uuid.UUID,
                        except_user: uuid.UUID | None = None) -> set[str]:
    # Locking the class row serialises roster changes of one class, so two requests cannot
    # both add "Sam". Names are compared case-insensitively: they become live nicknames.
    await session.execute(text("SELECT 1 FROM classes WHERE id = :c FOR UPDATE"), {"c": class_id})
    rows = await session.execute(text(
        "SELECT lower(display_name) FROM class_students WHERE class_id = :c "
        "AND user_id IS DISTINCT FROM :u"), {"c": class_id, "u": except_user})
    return {name for (name,) in rows}


async def add_students(db: Database, class_id: uuid.UUID, names: Sequence[str], *,
                       make_key: Callable[[], str] = new_student_key) -> list[RosterEntry]:
    """Add every name or none: NameTaken if one is already on the roster (or given twice)."""
    added = []
    async with db.sessions() as session, session.begin():
        in_use = await _names_in_use(session, class_id)
        for name in names:
            if name.lower() in in_use:
                raise NameTaken(name)
            in_use.add(name.lower())
            user_id = await session.scalar(text(
                "INSERT INTO users (username, role) VALUES (:u, 'student') RETURNING id"),
                # ':' never appears in a teacher's username, so the two cannot collide.
                {"u": f"student:{secrets.token_hex(12)}"})
            added.append(await _insert_roster_entry(session, class_id, user_id, name, make_key))
    return added


async def _insert_roster_entry(session: AsyncSession, class_id: uuid.UUID, user_id: uuid.UUID,
                               name: str, make_key: Callable[[], str]) -> RosterEntry:
    for _ in range(MAX_KEY_ATTEMPTS):
        row = (await session.execute(text(
            "INSERT INTO class_students (class_id, user_id, display_name, student_key) "
            "VALUES (:c, :u, :n, :k) ON CONFLICT (student_key) DO NOTHING "
            "RETURNING user_id, display_name, student_key, created_at"),
            {"c": class_id, "u": user_id, "n": name, "k": make_key()})).first()
        if row is not None:
            return RosterEntry(*row)
    raise RuntimeError("no unused student key found; the key generator is broken")


async def rename_student(db: Database, class_id: uuid.UUID, user_id: uuid.UUID,
                         name: str) -> RosterEntry | None:
    async with db.sessions() as session, session.begin():
        if name.lower() in await _names_in_use(session, class_id, except_user=user_id):
            raise NameTaken(name)
        row = (await session.execute(text(
            "UPDATE class_students SET display_name = :n WHERE class_id = :c AND user_id = :u "
            "RETURNING user_id, display_name, student_key, created_at"),
            {"n": name, "c": class_id, "u": user_id})).first()
    return RosterEntry(*row) if row else None


# Every table holding a student's rows, children before parents (the seed's foreign keys to
# users have no ON DELETE CASCADE). A table added later with a user_id belongs here too;
# tests/persistence/test_roster_erasure.py fails when one is missing. Tables that only some
# deployments have yet (the retention archive) are skipped where absent.
STUDENT_DATA = ("learning_events", "daily_practice_summaries", "user_statistics",
                "user_track_progress", "question_progress", "answer_attempts",
                "answer_attempts_archive", "room_players", "practice_sessions")


async def _present(conn: AsyncConnection | AsyncSession, tables: Sequence[str]) -> list[str]:
    """The tables of `tables` that exist, in the same order."""
    found = set((await conn.execute(text(
        "SELECT t FROM unnest(CAST(:names AS text[])) t WHERE to_regclass(t) IS NOT NULL"),
        {"names": list(tables)})).scalars())
    return [table for table in tables if table in found]


async def _erase_students(session: AsyncSession, user_ids: list[uuid.UUID]) -> None:
    if not user_ids:
        return
    # The answer writer's lock (sql/answer_flow/lock_users.sql), taken first and in the same
    # order: a batch in flight for one of these students finishes before their rows go, and
    # a later one finds them gone (unknown_user) instead of writing rows for them midway.
    await session.execute(text("SELECT id FROM users WHERE id = ANY(:ids) ORDER BY id FOR UPDATE"),
                          {"ids": user_ids})
    for table in await _present(session, STUDENT_DATA):
        await session.execute(text(f"DELETE FROM {table} WHERE user_id = ANY(:ids)"),
                              {"ids": user_ids})
    # class_students and auth_tokens go with the users row (ON DELETE CASCADE).
    await session.execute(text("DELETE FROM users WHERE id = ANY(:ids) AND role = 'student'"),
                          {"ids": user_ids})


async def remove_student(db: Database, class_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Take a student off the roster and erase everything they left; False if not on it."""
    async with db.sessions() as session, session.begin():
        found = await session.scalar(text(
            "SELECT user_id FROM class_students WHERE class_id = :c AND user_id = :u FOR UPDATE"),
            {"c": class_id, "u": user_id})
        if found is None:
            return False
        await _erase_students(session, [user_id])
    return True


async def delete_class(db: Database, class_id: uuid.UUID) -> None:
    """Delete a class, its roster and every row its students left."""
    async with db.sessions() as session, session.begin():
        user_ids = list((await session.scalars(text(
            "SELECT user_id FROM class_students WHERE class_id = :c"), {"c": class_id})).all())
        await _erase_students(session, user_ids)
        await session.execute(text("DELETE FROM classes WHERE id = :c"), {"c": class_id})


# What an export holds per student: every row of theirs, in a stable order.
_EXPORTED = {
    "attempts": ("answer_attempts", "timestamp, id"),
    "archived_attempts": ("answer_attempts_archive", "timestamp, id"),
    "question_progress": ("question_progress", "question_id"),
    "statistics": ("user_statistics", "user_id"),
    "track_progress": ("user_track_progress", "track_id"),
    "daily_summaries": ("daily_practice_summaries", "date"),
    "sessions": ("practice_sessions", "start_time, id"),
    "learning_events": ("learning_events", "timestamp, id"),
}


async def export_class(db: Database, class_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every student of the class with all their rows, as JSON-ready values."""
    async with db.engine.connect() as conn, conn.begin():
        # One snapshot: the roster and every student's rows agree with each other.
        await conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        entries = [RosterEntry(*row) for row in (await conn.execute(text(
            "SELECT user_id, display_name, student_key, created_at FROM class_students "
            "WHERE class_id = :c ORDER BY lower(display_name), created_at"), {"c": class_id})).all()]
        ids = [entry.user_id for entry in entries]
        per_part: dict[str, dict[uuid.UUID, list[Any]]] = {}
        present = set(await _present(conn, [table for table, _ in _EXPORTED.values()]))
        for part, (table, order) in _EXPORTED.items():
            if table not in present:
                continue
            rows = await conn.execute(text(
                f"SELECT t.user_id, json_agg(to_jsonb(t) - 'user_id' ORDER BY {order}) "
                f"FROM {table} t WHERE t.user_id = ANY(:ids) GROUP BY t.user_id"), {"ids": ids})
            per_part[part] = dict(rows.all())
    students = []
    for entry in entries:
        data = {part: per_part.get(part, {}).get(entry.user_id, []) for part in _EXPORTED}
        statistics = data.pop("statistics")
        students.append({
            "user_id": str(entry.user_id), "display_name": entry.display_name,
            "student_key": entry.student_key, "statistics": statistics[0] if statistics else None,
            **data})
    return students
