"""`mathrally seed`: write the standard tracks, sections and facts; running it again changes nothing.

Rows have fixed ids (catalog.py), so each table is one set-based upsert whose DO UPDATE only
fires when a row's content differs: a re-run touches no row, and an improved hint in a newer
release updates exactly the rows it changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from learning.catalog import (
    CATEGORY,
    TRACKS,
    TrackSpec,
    home_slug,
    question_id,
    section_id,
    sectioned_facts,
    track_id,
    unlock_criteria,
)
from persistence.database import Database

_TRACK_COLUMNS = ("name", "description", "grade_level", "difficulty", "estimated_duration",
                  "operations", "operand_ranges", "total_questions", "prerequisite_track_ids",
                  "icon_url", "color", "is_locked", "unlock_criteria")
_SECTION_COLUMNS = ("track_id", "name", "sequence_number", "question_ids", "mastery_required",
                    "minimum_accuracy")
_QUESTION_COLUMNS = ("operand1", "operand2", "operation", "correct_answer", "difficulty", "category",
                     "track_id", "sequence_number", "display_format", "hint", "explanation", "tags")


def _upsert(table: str, columns: tuple[str, ...], record_types: str) -> str:
    """INSERT … SELECT FROM jsonb_to_recordset … ON CONFLICT (id) DO UPDATE only when changed."""
    cols = ", ".join(columns)
    changed = " OR ".join(f"{table}.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in columns)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)
    if table == "questions":
        updates += ", updated_at = CURRENT_TIMESTAMP"
    return (f"INSERT INTO {table} (id, {cols}) SELECT id, {cols} "
            f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(id uuid, {record_types}) "
            f"ON CONFLICT (id) DO UPDATE SET {updates} WHERE {changed} "
            f"RETURNING (xmax = 0) AS inserted")


UPSERT_TRACKS = _upsert("learning_tracks", _TRACK_COLUMNS, (
    "name varchar, description text, grade_level varchar, difficulty varchar, "
    "estimated_duration int, operations text[], operand_ranges jsonb, total_questions int, "
    "prerequisite_track_ids uuid[], icon_url text, color varchar, is_locked boolean, "
    "unlock_criteria text"))
UPSERT_SECTIONS = _upsert("track_sections", _SECTION_COLUMNS, (
    "track_id uuid, name varchar, sequence_number int, question_ids uuid[], "
    "mastery_required numeric(3,2), minimum_accuracy numeric(5,2)"))
UPSERT_QUESTIONS = _upsert("questions", _QUESTION_COLUMNS, (
    "operand1 int, operand2 int, operation varchar, correct_answer numeric(10,2), "
    "difficulty varchar, category varchar, track_id uuid, sequence_number int, "
    "display_format varchar, hint text, explanation text, tags text[]"))


@dataclass(frozen=True)
class SeedReport:
    inserted: dict[str, int]
    updated: dict[str, int]
    merged: int = 0  # free fact rows merged into the tracks' rows

    @property
    def changed(self) -> int:
        return sum(self.inserted.values()) + sum(self.updated.values()) + self.merged


def _rows(track: TrackSpec) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The track's row, its sections, and the question rows that are this track's own: a fact
    another track owns (mixed review's, home_slug) is referenced by its sections, not copied."""
    placed = sectioned_facts(track)
    questions = []
    for p in placed:
        if home_slug(p.fact) != track.slug:
            continue
        teaching = p.fact.teaching()
        questions.append({
            "id": str(question_id(track.slug, p.fact)), "operand1": p.fact.operand1,
            "operand2": p.fact.operand2, "operation": p.fact.operation,
            "correct_answer": p.fact.answer, "difficulty": p.fact.difficulty(),
            "category": CATEGORY[p.fact.operation], "track_id": str(track.id),
            "sequence_number": p.sequence_number, "display_format": track.display_format,
            "hint": teaching.hint, "explanation": teaching.explanation,
            "tags": p.fact.tags(track.sections[p.section - 1].family)})
    sections = []
    for index, spec in enumerate(track.sections, start=1):
        sections.append({
            "id": str(section_id(track.slug, index)), "track_id": str(track.id), "name": spec.name,
            "sequence_number": index,
            "question_ids": [str(question_id(home_slug(p.fact), p.fact))
                             for p in placed if p.section == index],
            "mastery_required": spec.mastery_required, "minimum_accuracy": spec.minimum_accuracy})
    row = {
        "id": str(track.id), "name": track.name, "description": track.description,
        "grade_level": track.grade_level, "difficulty": track.difficulty,
        "estimated_duration": track.estimated_duration, "operations": list(track.operations),
        "operand_ranges": track.operand_ranges, "total_questions": len(placed),
        "prerequisite_track_ids": [str(track_id(slug)) for slug in track.prerequisites],
        "icon_url": track.icon, "color": track.color,
        # The seed's per-track flag: locked for a new student until the prerequisites are done.
        # Whether one student has unlocked it is user_track_progress.is_unlocked.
        "is_locked": bool(track.prerequisites), "unlock_criteria": unlock_criteria(track)}
    return row, sections, questions


async def seed_curriculum(db: Database) -> SeedReport:
    tracks, sections, questions = [], [], []
    for track in TRACKS:
        t, s, q = _rows(track)
        tracks.append(t)
        sections.extend(s)
        questions.extend(q)
    inserted: dict[str, int] = {}
    updated: dict[str, int] = {}
    async with db.sessions() as session, session.begin():
        for table, statement, rows in (("learning_tracks", UPSERT_TRACKS, tracks),
                                       ("questions", UPSERT_QUESTIONS, questions),
                                       ("track_sections", UPSERT_SECTIONS, sections)):
            results = (await session.execute(text(statement), {"rows": json.dumps(rows)})).scalars().all()
            inserted[table] = sum(1 for r in results if r)
            updated[table] = sum(1 for r in results if not r)
        # A live game played before the first seed stored its facts as free rows: they become
        # the tracks' rows now, with their answers and progress (migration 0009).
        merged = await session.scalar(text("SELECT merge_duplicate_facts()"))
    return SeedReport(inserted, updated, merged or 0)
