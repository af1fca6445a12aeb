"""Which fact a student should see next, by the rule of learning/fact_choice.py, in SQL.

`choose_next_fact` is a pure read (no writes, no clock of its own): solo practice calls it for
every question, and a live game can call it for a personal round.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from learning.fact_choice import REASONS, WEAK_BELOW
from learning.practice import PLACEMENT_PER_SECTION, placement_positions
from persistence.database import Database

# learning/fact_choice.py's rule, in SQL: the candidate facts of one student, ranked by tier
# (its numbers are that module's TIER_*), then within the tier; the first is the choice.
# "Open" sections are those this student has not completed; facts of sections they completed
# (by practice or by a placement quiz) are new only after the open ones are done.
# Written for many students at once: `pl` is one row (user_id, exclude) of the students asked
# for, and the LATERAL runs this ranking for each; one student is the batch of one, so solo
# practice and a live room's personal round choose by exactly the same rules. The track's facts
# (its sections' facts, track_facts, in track order) are read once (MATERIALIZED), not once per
# student: for 2,000 students that is most of the difference between ~240 and ~180 ms (this
# 2-core machine, a 169-fact track).
# Fact families: `family_rows` is every row, in any track, of a family the track's facts belong
# to (found by their fact-family tag through idx_question_tags), read once; per student,
# `family_standing` is learning.fact_choice.family_standing over their progress on those rows.
_CHOICES = """
WITH candidates AS MATERIALIZED (
    SELECT q.id, q.operand1, q.operand2, q.operation, q.correct_answer, q.hint, q.explanation,
           q.display_format, tf.position AS sequence_number,
           (SELECT t FROM unnest(q.tags) AS t WHERE t LIKE 'fact-family:%' LIMIT 1) AS family
    FROM track_facts tf
    JOIN questions q ON q.id = tf.question_id
    WHERE tf.track_id = :track_id {only_facts}
), family_rows AS MATERIALIZED (
    -- one scan of idx_question_tags for all the track's families at once
    SELECT m.id, t AS family
    FROM questions m CROSS JOIN LATERAL unnest(m.tags) AS t
    WHERE m.tags && ARRAY(SELECT DISTINCT family FROM candidates WHERE family IS NOT NULL)
      AND t LIKE 'fact-family:%'
)
SELECT pl.user_id, c.*
FROM unnest(CAST(:user_ids AS uuid[]), CAST(:excludes AS uuid[])) AS pl(user_id, exclude)
CROSS JOIN LATERAL (
    WITH mine AS MATERIALIZED (
        -- The student's progress rows, read once by user (a few dozen to a few hundred).
        SELECT p.question_id, p.total_attempts, p.correct_attempts, p.mastery, p.fluency_level,
               p.current_streak, p.next_review_date, p.last_attempt_date
        FROM question_progress p WHERE p.user_id = pl.user_id
    ), finished AS (
        SELECT DISTINCT unnest(s.question_ids) AS question_id
        FROM track_sections s
        JOIN user_section_progress usp
            ON usp.section_id = s.id AND usp.user_id = pl.user_id AND usp.is_completed
        WHERE s.track_id = :track_id
    ), family_standing AS (
        SELECT r.family,
               count(*) FILTER (WHERE m.fluency_level = 'mastered') AS mastered,
               max(m.last_attempt_date) FILTER (
                   WHERE m.total_attempts > 0 AND m.current_streak = 0) AS last_miss
        FROM mine m JOIN family_rows r ON r.id = m.question_id
        GROUP BY r.family
    )
    SELECT q.id, q.operand1, q.operand2, q.operation, q.correct_answer, q.hint, q.explanation,
           q.display_format, q.sequence_number,
           CASE WHEN qp.next_review_date <= :today THEN 1
                WHEN COALESCE(qp.total_attempts, 0) > 0 AND qp.mastery < :weak_below THEN 2
                WHEN fs.last_miss > qp.last_attempt_date
                     OR (fs.last_miss IS NOT NULL AND qp.last_attempt_date IS NULL) THEN 3
                WHEN COALESCE(qp.total_attempts, 0) = 0 AND fs.mastered > 0 THEN 4
                WHEN COALESCE(qp.total_attempts, 0) = 0 AND f.question_id IS NULL THEN 5
                WHEN qp.mastery < 1 AND f.question_id IS NULL THEN 6
                WHEN COALESCE(qp.total_attempts, 0) = 0 THEN 7
                ELSE 8 END AS tier
    FROM candidates q
    LEFT JOIN mine qp ON qp.question_id = q.id
    LEFT JOIN finished f ON f.question_id = q.id
    LEFT JOIN family_standing fs ON fs.family = q.family
    WHERE true {only}
    -- The excluded fact sorts last and is dropped below: filtering it here would make the
    -- candidates depend on the student, and every hash table over them be rebuilt per student.
    ORDER BY q.id IS NOT DISTINCT FROM pl.exclude, tier,
             -- due: the longest overdue first
             CASE WHEN qp.next_review_date <= :today THEN qp.next_review_date END,
             -- tried facts: the least mastered, the least accurate, the longest unseen
             CASE WHEN COALESCE(qp.total_attempts, 0) > 0 THEN qp.mastery END,
             CASE WHEN COALESCE(qp.total_attempts, 0) > 0
                  THEN qp.correct_attempts::float / qp.total_attempts END,
             qp.last_attempt_date NULLS FIRST,
             -- new facts: in track order
             q.sequence_number
    LIMIT 1
) c
WHERE c.id IS DISTINCT FROM pl.exclude
"""

# What a live room can show: two-operand facts only, of one operation when it is given.
_LIVE_ONLY = ("AND q.operand3 IS NULL "
              "AND (CAST(:operation AS varchar) IS NULL OR q.operation = CAST(:operation AS varchar))")


@dataclass(frozen=True)
class NextFact:
    question_id: uuid.UUID
    operand1: int
    operand2: int
    operation: str
    correct_answer: Decimal
    hint: str | None
    explanation: str | None
    display_format: str | None
    sequence_number: int
    reason: str  # due_review | weakest | new | strengthen | refresh


async def choose_next_facts_in(conn: AsyncConnection, track_id: uuid.UUID,
                               students: list[tuple[uuid.UUID, uuid.UUID | None]], today: dt.date,
                               *, due_only: bool = False, live_only: bool = False,
                               operation: str | None = None) -> dict[uuid.UUID, NextFact]:
    """For each (user_id, exclude_question_id) of `students`, the fact choose_next_fact would
    choose for them, in one statement; a student with nothing to choose is left out.

    `live_only` keeps to what a live room can ask: two-operand facts, of `operation` if given.
    """
    if not students:
        return {}
    only = "AND qp.next_review_date <= :today" if due_only else ""
    sql = _CHOICES.format(only=only, only_facts=_LIVE_ONLY if live_only else "")
    # For a large class the planner's cost estimate passes jit_above_cost, and compiling the
    # statement took 0.35–1.1 s on this 2-core machine, more than running it
    # (bench/live/next_fact.py): the choice is a short query run often, never worth a compile.
    await conn.execute(text("SET LOCAL jit = off"))
    rows = (await conn.execute(text(sql), {
        "user_ids": [u for u, _ in students], "excludes": [e for _, e in students],
        "track_id": track_id, "today": today, "weak_below": WEAK_BELOW,
        "operation": operation})).mappings().all()
    return {row["user_id"]: NextFact(
        row["id"], row["operand1"], row["operand2"], row["operation"], row["correct_answer"],
        row["hint"], row["explanation"], row["display_format"], row["sequence_number"],
        REASONS[row["tier"]]) for row in rows}


async def choose_next_facts(db: Database, track_id: uuid.UUID,
                            students: list[tuple[uuid.UUID, uuid.UUID | None]], today: dt.date,
                            *, due_only: bool = False, live_only: bool = False,
                            operation: str | None = None) -> dict[uuid.UUID, NextFact]:
    """choose_next_fact for many students at once (a live room's personal round): one round
    trip however many they are."""
    async with db.engine.connect() as conn:
        return await choose_next_facts_in(conn, track_id, students, today, due_only=due_only,
                                          live_only=live_only, operation=operation)


async def choose_next_fact_in(conn: AsyncConnection, user_id: uuid.UUID, track_id: uuid.UUID,
                              exclude_question_id: uuid.UUID | None, today: dt.date,
                              *, due_only: bool = False) -> NextFact | None:
    chosen = await choose_next_facts_in(conn, track_id, [(user_id, exclude_question_id)], today,
                                        due_only=due_only)
    return chosen.get(user_id)


async def choose_next_fact(db: Database, user_id: uuid.UUID, track_id: uuid.UUID,
                           exclude_question_id: uuid.UUID | None, today: dt.date,
                           *, due_only: bool = False) -> NextFact | None:
    """The fact this student should practise next in this track, never exclude_question_id.

    Due reviews (next_review_date on or before `today`) first, longest overdue first; then
    the weakest facts they have tried (mastery below WEAK_BELOW); then new facts in track
    order, those of sections the student has not completed first; between the two kinds of
    new facts, the not-yet-mastered facts of open sections ("strengthen"); at last the least
    mastered fact ("refresh"), so practice never runs dry. None only when the track has no
    other fact (or, with due_only, nothing is due).
    """
    async with db.engine.connect() as conn:
        return await choose_next_fact_in(conn, user_id, track_id, exclude_question_id, today,
                                         due_only=due_only)


async def placement_facts(db: Database, track_id: uuid.UUID,
                          per_section: int = PLACEMENT_PER_SECTION) -> list[dict[str, Any]]:
    """A placement quiz: a few facts from each section, spread from its easy end to its hard
    end (the section's last facts are its hardest), in section order."""
    async with db.engine.connect() as conn:
        sections = (await conn.execute(text(
            "SELECT s.id, s.sequence_number, array_agg(q.id ORDER BY q.sequence_number) AS facts "
            "FROM track_sections s JOIN questions q ON q.id = ANY(s.question_ids) "
            "WHERE s.track_id = :t GROUP BY s.id ORDER BY s.sequence_number"),
            {"t": track_id})).mappings().all()
    quiz = []
    for section in sections:
        facts = section["facts"]
        quiz += [{"question_id": str(facts[p]), "section_id": str(section["id"])}
                 for p in placement_positions(len(facts), per_section)]
    return quiz
