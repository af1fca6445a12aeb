"""The facts grid: the seed's Grid Data Query for one student, and its roll-up for a class."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

from persistence.database import Database
from sql import read_sql

GRID_SQL = read_sql("curriculum/grid.sql")
CLASS_GRID_SQL = read_sql("curriculum/class_grid.sql")
FLUENCY_LEVELS = ("not_started", "learning", "accuracy", "fluency_6s", "fluency_3s_2s", "mastered")


def _axes(cells: list[dict[str, Any]]) -> tuple[list[int], list[int]]:
    return sorted({c["row"] for c in cells}), sorted({c["col"] for c in cells})


async def track_operations(db: Database, track_id: uuid.UUID) -> list[str] | None:
    async with db.engine.connect() as conn:
        row = (await conn.execute(text("SELECT operations FROM learning_tracks WHERE id = :t"),
                                  {"t": track_id})).first()
    return None if row is None else list(row[0] or [])


async def student_grid(db: Database, user_id: uuid.UUID, track_id: uuid.UUID,
                       operation: str) -> dict[str, Any]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(text(GRID_SQL), {"user_id": user_id, "track_id": track_id,
                                                   "operation": operation})
        cells = [{
            "question_id": str(r["question_id"]), "row": r["row"], "col": r["col"],
            "value": float(r["value"]), "mastery": float(r["mastery"]),
            "fluency_level": r["fluency_level"], "accuracy": round(float(r["accuracy"]), 2),
            "last_response_time": r["last_response_time"],
            "total_attempts": r["total_attempts"] or 0,
            "last_attempt_date": r["last_attempt_date"].isoformat() if r["last_attempt_date"] else None,
            # The detail of a cell: the rest of its progress and its SM-2 review schedule.
            "correct_attempts": r["correct_attempts"] or 0,
            "average_response_time": r["average_response_time"],
            "next_review_date": r["next_review_date"].isoformat() if r["next_review_date"] else None,
            "review_interval": r["review_interval"],
            "ease_factor": float(r["ease_factor"]) if r["ease_factor"] is not None else None,
        } for r in rows.mappings()]
    rows_axis, cols_axis = _axes(cells)
    return {"user_id": str(user_id), "track_id": str(track_id), "operation": operation,
            "rows": rows_axis, "cols": cols_axis, "cells": cells}


async def class_grid(db: Database, class_id: uuid.UUID, track_id: uuid.UUID,
                     operation: str) -> dict[str, Any]:
    async with db.engine.connect() as conn:
        students = await conn.scalar(text("SELECT count(*) FROM class_students WHERE class_id = :c"),
                                     {"c": class_id})
        rows = await conn.execute(text(CLASS_GRID_SQL), {"class_id": class_id, "track_id": track_id,
                                                         "operation": operation})
        cells = []
        for r in rows.mappings():
            counts = {level: r[level] for level in FLUENCY_LEVELS}
            cells.append({
                "question_id": str(r["question_id"]), "row": r["row"], "col": r["col"],
                "value": float(r["value"]), "students": r["students"], "counts": counts,
                "shares": {level: (round(n / students, 4) if students else 0.0)
                           for level, n in counts.items()},
                "average_mastery": round(float(r["average_mastery"]), 4),
                "tried": r["tried"], "attempts": r["attempts"], "correct": r["correct"],
                "accuracy": round(r["correct"] * 100 / r["attempts"], 2) if r["attempts"] else None,
                "average_response_time": (round(r["total_response_time"] / r["attempts"])
                                          if r["attempts"] else None)})
    rows_axis, cols_axis = _axes(cells)
    return {"class_id": str(class_id), "track_id": str(track_id), "operation": operation,
            "students": students, "rows": rows_axis, "cols": cols_axis, "cells": cells}
