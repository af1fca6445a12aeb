"""Progress through tracks: section completion, track completion and unlocking, per student.

Everything is recomputed from question_progress and answer_attempts for the (user, track)
pairs a batch of answers touched, so the figures stay exact however often it runs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from persistence.database import Database
from sql import read_sql

_SECTION_PROGRESS = read_sql("curriculum/section_progress.sql")
_TRACK_PROGRESS = read_sql("curriculum/track_progress.sql")
_UNLOCK_TRACKS = read_sql("curriculum/unlock_tracks.sql")

# Two refreshes for one student must not interleave (the later could write figures computed
# from an older snapshot): each takes a transaction-scoped advisory lock per student first,
# in id order so two batches never wait on each other in a cycle.
_LOCK_STUDENTS = text(
    "SELECT count(pg_advisory_xact_lock(hashtextextended('mathrally:progress:' || u::text, 0))) "
    "FROM (SELECT DISTINCT u FROM unnest(CAST(:user_ids AS uuid[])) AS u ORDER BY u) s")


@dataclass(frozen=True)
class Unlocked:
    user_id: uuid.UUID
    track_id: uuid.UUID


async def tracks_of_questions(conn: AsyncConnection,
                              question_ids: Iterable[uuid.UUID]) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """(question_id, track_id) of every track holding one of these facts (a fact may be in
    more than one: mixed review holds the other tracks' rows)."""
    rows = await conn.execute(text(
        "SELECT DISTINCT question_id, track_id FROM track_facts "
        "WHERE question_id = ANY(CAST(:ids AS uuid[]))"), {"ids": list(set(question_ids))})
    return {(q, t) for q, t in rows.all()}


async def refresh_in(conn: AsyncConnection, answers: list[tuple[uuid.UUID, uuid.UUID]],
                     tracks: set[tuple[uuid.UUID, uuid.UUID]], now: dt.datetime) -> list[Unlocked]:
    """Recompute inside the caller's transaction: the sections holding the answered facts
    (answers: (user_id, question_id)), then the (user_id, track_id) pairs in `tracks`."""
    if not tracks:
        return []
    ordered = sorted(tracks)
    users = [u for u, _ in ordered]
    await conn.execute(_LOCK_STUDENTS, {"user_ids": users})
    if answers:
        await conn.execute(text(_SECTION_PROGRESS), {
            "user_ids": [u for u, _ in answers], "question_ids": [q for _, q in answers], "now": now})
    await conn.execute(text(_TRACK_PROGRESS), {
        "user_ids": users, "track_ids": [t for _, t in ordered], "now": now})
    return await unlock_in(conn, users, now)


async def track_progress_in(conn: AsyncConnection, pairs: Iterable[Unlocked], now: dt.datetime) -> None:
    """Recompute user_track_progress of these (user, track) pairs from their section rows."""
    ordered = sorted({(p.user_id, p.track_id) for p in pairs})
    if ordered:
        await conn.execute(text(_TRACK_PROGRESS), {
            "user_ids": [u for u, _ in ordered], "track_ids": [t for _, t in ordered], "now": now})


async def unlock_in(conn: AsyncConnection, users: list[uuid.UUID], now: dt.datetime) -> list[Unlocked]:
    """Unlock what the students' completed tracks open. A track unlocked just now may already
    have every section completed (a placement quiz taken while it was locked): it completes
    now, which can unlock the next ones, so this runs until nothing more opens (at most once
    per track)."""
    opened: list[Unlocked] = []
    while True:
        rows = (await conn.execute(text(_UNLOCK_TRACKS), {"user_ids": users})).all()
        if not rows:
            return opened
        opened += [Unlocked(u, t) for u, t in rows]
        await track_progress_in(conn, (Unlocked(u, t) for u, t in rows), now)


async def refresh_after_answers(db: Database, answers: Iterable[tuple[uuid.UUID, uuid.UUID]],
                                now: dt.datetime) -> list[Unlocked]:
    """answers: (user_id, question_id) of committed attempts. Returns tracks newly unlocked."""
    answers = sorted(set(answers))
    if not answers:
        return []
    async with db.engine.begin() as conn:
        tracks_of: dict[uuid.UUID, list[uuid.UUID]] = {}
        for question, track in await tracks_of_questions(conn, (q for _, q in answers)):
            tracks_of.setdefault(question, []).append(track)
        in_tracks = [(u, q) for u, q in answers if q in tracks_of]
        return await refresh_in(conn, in_tracks,
                                {(u, t) for u, q in in_tracks for t in tracks_of[q]}, now)


async def complete_sections_by_placement(db: Database, user_id: uuid.UUID, track_id: uuid.UUID,
                                         section_ids: list[uuid.UUID], now: dt.datetime) -> list[Unlocked]:
    """Mark sections a placement quiz showed the student already knows, then refresh the track."""
    async with db.engine.begin() as conn:
        await conn.execute(_LOCK_STUDENTS, {"user_ids": [user_id]})
        if section_ids:
            await conn.execute(text(
                "INSERT INTO user_section_progress AS usp (user_id, section_id, track_id, "
                "is_completed, completion_date, source, updated_at) "
                "SELECT :u, s, :t, true, :now, 'placement', :now FROM unnest(CAST(:s AS uuid[])) s "
                "ON CONFLICT (user_id, section_id) DO UPDATE SET is_completed = true, "
                "completion_date = COALESCE(usp.completion_date, EXCLUDED.completion_date), "
                "source = COALESCE(usp.source, EXCLUDED.source), updated_at = EXCLUDED.updated_at"),
                {"u": user_id, "t": track_id, "s": section_ids, "now": now})
        return await refresh_in(conn, [], {(user_id, track_id)}, now)


# --- reads --------------------------------------------------------------------------------


async def track_overview(db: Database, user_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every track with this student's standing: unlocked, completed, mastered, time spent."""
    async with db.engine.connect() as conn:
        rows = await conn.execute(text(
            "SELECT t.id, t.name, t.description, t.grade_level, t.difficulty, t.estimated_duration, "
            "t.operations, t.total_questions, t.prerequisite_track_ids, t.icon_url, t.color, "
            "t.unlock_criteria, p.started_date, p.completed_date, p.current_section_id, "
            "COALESCE(p.mastered_questions, 0) AS mastered_questions, "
            "COALESCE(p.total_time_spent, 0) AS total_time_spent, "
            "(cardinality(COALESCE(t.prerequisite_track_ids, '{}')) = 0 "
            " OR COALESCE(p.is_unlocked, false)) AS is_unlocked "
            "FROM learning_tracks t "
            "LEFT JOIN user_track_progress p ON p.track_id = t.id AND p.user_id = :u "
            "WHERE EXISTS (SELECT 1 FROM track_sections s WHERE s.track_id = t.id)"), {"u": user_id})
        return in_learning_order([dict(r) for r in rows.mappings()])


def _grade_rank(grade: str | None) -> int:
    if grade is None:
        return 99
    if grade.upper() in ("PK", "PRE-K"):
        return -1
    if grade.upper() == "K":
        return 0
    return int(grade) if grade.isdigit() else 99


def in_learning_order(tracks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Prerequisites before the tracks that need them; otherwise by grade, then name."""
    remaining = sorted(tracks, key=lambda t: (_grade_rank(t["grade_level"]), t["name"]))
    known = {t["id"] for t in tracks}
    placed: list[dict[str, Any]] = []
    done: set[Any] = set()
    while remaining:
        ready = next((t for t in remaining
                      if all(p in done or p not in known for p in t["prerequisite_track_ids"] or [])),
                     remaining[0])  # a prerequisite cycle cannot stall the listing
        placed.append(ready)
        done.add(ready["id"])
        remaining.remove(ready)
    return placed


async def is_track_unlocked(conn: AsyncConnection, user_id: uuid.UUID, track_id: uuid.UUID) -> bool | None:
    """None when the track does not exist."""
    row = (await conn.execute(text(
        "SELECT cardinality(COALESCE(t.prerequisite_track_ids, '{}')) = 0 "
        "OR COALESCE(p.is_unlocked, false) FROM learning_tracks t "
        "LEFT JOIN user_track_progress p ON p.track_id = t.id AND p.user_id = :u "
        "WHERE t.id = :t"), {"u": user_id, "t": track_id})).first()
    return None if row is None else bool(row[0])


async def track_progress(db: Database, user_id: uuid.UUID, track_id: uuid.UUID) -> dict[str, Any] | None:
    """One track's progress for one student, section by section."""
    async with db.engine.connect() as conn:
        unlocked = await is_track_unlocked(conn, user_id, track_id)
        if unlocked is None:
            return None
        track = (await conn.execute(text(
            "SELECT t.id, t.name, t.total_questions, p.started_date, p.completed_date, "
            "p.current_section_id, COALESCE(p.mastered_questions, 0) AS mastered_questions, "
            "COALESCE(p.total_time_spent, 0) AS total_time_spent FROM learning_tracks t "
            "LEFT JOIN user_track_progress p ON p.track_id = t.id AND p.user_id = :u "
            "WHERE t.id = :t"), {"u": user_id, "t": track_id})).mappings().one()
        sections = await conn.execute(text(
            "SELECT s.id, s.name, s.sequence_number, cardinality(s.question_ids) AS questions, "
            "s.mastery_required, s.minimum_accuracy, "
            "COALESCE(usp.average_mastery, 0) AS average_mastery, "
            "COALESCE(usp.accuracy, 0) AS accuracy, "
            "COALESCE(usp.mastered_questions, 0) AS mastered_questions, "
            "COALESCE(usp.is_completed, false) AS is_completed, usp.completion_date, usp.source "
            "FROM track_sections s LEFT JOIN user_section_progress usp "
            "ON usp.section_id = s.id AND usp.user_id = :u WHERE s.track_id = :t "
            "ORDER BY s.sequence_number"), {"u": user_id, "t": track_id})
        return {**dict(track), "is_unlocked": unlocked,
                "sections": [dict(s) for s in sections.mappings()]}


async def user_statistics(db: Database, user_id: uuid.UUID) -> dict[str, object]:
    """GET /api/users/{id}/stats: the student's user_statistics row as stored, or null."""
    async with db.engine.connect() as conn:
        row = (await conn.execute(text("SELECT * FROM user_statistics WHERE user_id = :u"),
                                  {"u": user_id})).mappings().first()
    return {"user_id": str(user_id), "statistics": dict(row) if row else None}

