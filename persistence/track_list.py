"""The learning tracks a teacher can base a live game on (the catalogue, no student data)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from persistence.curriculum.progress import in_learning_order
from persistence.database import Database


async def list_tracks(db: Database) -> list[dict[str, Any]]:
    """Every track that has sections, prerequisites first: {track_id, name, operations, ...}."""
    async with db.engine.connect() as conn:
        rows = await conn.execute(text(
            "SELECT t.id, t.name, t.operations, t.grade_level, t.difficulty, t.total_questions, "
            "t.prerequisite_track_ids FROM learning_tracks t "
            "WHERE EXISTS (SELECT 1 FROM track_sections s WHERE s.track_id = t.id)"))
        tracks = in_learning_order([dict(r) for r in rows.mappings()])
    return [{"track_id": str(t["id"]), "name": t["name"], "operations": list(t["operations"] or []),
             "grade_level": t["grade_level"], "difficulty": t["difficulty"],
             "total_questions": t["total_questions"]} for t in tracks]
