"""Solo adaptive practice for a signed-in student, stored: sessions, questions, answers,
summaries.

The decisions (modes, what may happen in which state, placement, time) are learning/
practice.py's; this module loads the rows they read and stores what they decide. Every
answer goes through the group-commit answer writer; the clock is injected (`now`, naive UTC)
so tests can move days forward. Refusals are learning.practice.PracticeError.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from learning.answers import InvalidAnswer, parse_answer
from learning.flow_rules import XP_PER_LEVEL
from learning.practice import (
    MODES,
    DailyGoal,
    PracticeError,
    active_seconds,
    check_active,
    check_first_placement_answer,
    check_may_start,
    check_mode,
    check_paused,
    check_response_time,
    next_placement_item,
    passed_sections,
    paused_seconds,
    practice_ms,
)
from persistence.answer_flow import AttemptIn, AttemptRejected
from persistence.curriculum.cache import LearningCache
from persistence.curriculum.progress import complete_sections_by_placement, is_track_unlocked
from persistence.curriculum.selection import choose_next_fact_in, placement_facts
from persistence.database import Database
from persistence.group_commit import GroupCommitWriter

DEFAULT_DAILY_GOAL_MINUTES = 15


@dataclass(frozen=True)
class SessionRow:
    id: uuid.UUID
    user_id: uuid.UUID
    mode: str
    config: dict[str, Any]
    status: str
    start_time: dt.datetime
    paused_duration: int


async def _session(db: Database, session_id: uuid.UUID, user_id: uuid.UUID) -> SessionRow:
    async with db.engine.connect() as conn:
        row = (await conn.execute(text(
            "SELECT id, user_id, mode, config, status, start_time, COALESCE(paused_duration, 0) "
            "FROM practice_sessions WHERE id = :s"), {"s": session_id})).first()
    if row is None or row[1] != user_id or row[2] not in MODES:
        # Another student's session is as invisible as a missing one.
        raise PracticeError("session_not_found", "No such practice session.")
    return SessionRow(*row)


def _track_of(session: SessionRow) -> uuid.UUID:
    return uuid.UUID(session.config["track_id"])


async def start_session(db: Database, cache: LearningCache, user_id: uuid.UUID,
                        track_id: uuid.UUID, mode: str, now: dt.datetime) -> dict[str, Any]:
    check_mode(mode)
    async with db.engine.connect() as conn:
        unlocked = await is_track_unlocked(conn, user_id, track_id)
        goal = await conn.scalar(text("SELECT daily_goal_minutes FROM users WHERE id = :u"),
                                 {"u": user_id})
    check_may_start(mode, unlocked)
    config: dict[str, Any] = {"track_id": str(track_id), "daily_goal_minutes": goal, "paused_at": None}
    if mode == "placement":
        config["placement"] = await placement_facts(db, track_id)
    async with db.engine.begin() as conn:
        session_id = await conn.scalar(text(
            "INSERT INTO practice_sessions (user_id, mode, config, start_time, status, "
            "total_questions) VALUES (:u, :m, CAST(:c AS jsonb), :now, 'active', :n) RETURNING id"),
            {"u": user_id, "m": mode, "c": json.dumps(config), "now": now,
             "n": len(config.get("placement", []))})
    return {"session_id": str(session_id), "mode": mode, "track_id": str(track_id),
            "status": "active", "total_questions": len(config.get("placement", []))}


async def _session_questions(db: Database, cache: LearningCache, session: SessionRow) -> dict[str, Any]:
    """The facts this session may ask, id → fact: cached as session:{id}:questions (1 h)."""
    async def load() -> dict[str, Any]:
        async with db.engine.connect() as conn:
            if session.mode == "placement":
                ids = [uuid.UUID(p["question_id"]) for p in session.config["placement"]]
                rows = await conn.execute(text(
                    "SELECT id, operand1, operand2, operation, correct_answer, hint, explanation, "
                    "display_format FROM questions WHERE id = ANY(CAST(:ids AS uuid[]))"), {"ids": ids})
            else:
                rows = await conn.execute(text(
                    "SELECT q.id, q.operand1, q.operand2, q.operation, q.correct_answer, q.hint, "
                    "q.explanation, q.display_format FROM track_facts tf "
                    "JOIN questions q ON q.id = tf.question_id WHERE tf.track_id = :t"),
                    {"t": _track_of(session)})
            return {str(r["id"]): {k: r[k] for k in r.keys() if k != "id"} for r in rows.mappings()}

    questions: dict[str, Any] = await cache.session_questions(session.id, load)
    return questions


async def _answered(conn: AsyncConnection, session_id: uuid.UUID) -> list[tuple[uuid.UUID, bool, int]]:
    rows = await conn.execute(text(
        "SELECT question_id, is_correct, response_time FROM answer_attempts "
        "WHERE session_id = :s ORDER BY timestamp, id"), {"s": session_id})
    return [tuple(r) for r in rows.all()]


def _public_question(question_id: str, fact: dict[str, Any], index: int, reason: str,
                     show_hint: bool) -> dict[str, Any]:
    return {"question_id": question_id, "index": index, "operand1": fact["operand1"],
            "operand2": fact["operand2"], "operation": fact["operation"],
            "display_format": fact["display_format"], "reason": reason,
            "hint": fact["hint"] if show_hint else None}


async def next_question(db: Database, cache: LearningCache, user_id: uuid.UUID,
                        session_id: uuid.UUID, today: dt.date) -> dict[str, Any]:
    session = await _session(db, session_id, user_id)
    check_active(session.status)
    facts = await _session_questions(db, cache, session)
    async with db.engine.connect() as conn:
        answered = await _answered(conn, session.id)
        show_hints = await conn.scalar(text("SELECT COALESCE(show_hints, true) FROM users WHERE id = :u"),
                                       {"u": user_id})
        if session.mode == "placement":
            item = next_placement_item(session.config["placement"], (str(q) for q, _, _ in answered))
            if item is None:
                return {"question": None, "finished": True}
            qid = item["question_id"]
            return {"question": _public_question(qid, facts[qid], len(answered), "placement", False),
                    "finished": False}
        last = session.config.get("last_question_id")
        choice = await choose_next_fact_in(conn, user_id, _track_of(session),
                                           uuid.UUID(last) if last else None, today,
                                           due_only=session.mode == "review")
    if choice is None:
        return {"question": None, "finished": True}
    qid = str(choice.question_id)
    return {"question": _public_question(qid, facts[qid], len(answered), choice.reason, bool(show_hints)),
            "finished": False}


async def submit_answer(db: Database, cache: LearningCache, writer: GroupCommitWriter, user_id: uuid.UUID,
                        session_id: uuid.UUID, *, attempt_id: uuid.UUID, question_id: uuid.UUID,
                        typed: str, response_time_ms: Any, now: dt.datetime,
                        input_method: str = "keyboard") -> dict[str, Any]:
    response_time_ms = check_response_time(response_time_ms)
    try:
        user_answer = parse_answer(typed)
    except InvalidAnswer as exc:
        raise PracticeError(exc.code, str(exc)) from None
    session = await _session(db, session_id, user_id)
    check_active(session.status)
    fact = (await _session_questions(db, cache, session)).get(str(question_id))
    if fact is None:
        raise PracticeError("question_not_in_session", "That question is not part of this session.")
    correct_answer = Decimal(str(fact["correct_answer"]))
    if session.mode == "placement":
        async with db.engine.connect() as conn:
            earlier = await conn.scalar(text(
                "SELECT attempt_id FROM answer_attempts WHERE session_id = :s AND question_id = :q "
                "LIMIT 1"), {"s": session.id, "q": question_id})
        check_first_placement_answer(earlier, attempt_id)
    attempt = AttemptIn(attempt_id=attempt_id, user_id=user_id, session_id=session.id,
                        question_id=question_id, raw_input=typed.strip(),
                        user_answer=user_answer, correct_answer=correct_answer,
                        response_time_ms=response_time_ms, answered_at=now, input_method=input_method)
    try:
        outcome = await writer.submit(attempt)
    except AttemptRejected as exc:
        raise PracticeError(exc.code, exc.message) from None
    if not outcome.duplicate:
        # Which fact came last decides what may come next (never the same twice in a row);
        # answer timestamps can tie, so the session keeps it explicitly.
        async with db.engine.begin() as conn:
            await conn.execute(text(
                "UPDATE practice_sessions SET current_question_index = "
                "COALESCE(current_question_index, 0) + 1, config = jsonb_set(config, "
                "'{last_question_id}', to_jsonb(CAST(:q AS text))) WHERE id = :s"),
                {"q": str(question_id), "s": session.id})
    # Track progress and the caches were refreshed by the writer's after-commit hook
    # (CurriculumAfterCommit) before submit() returned, so the student's next read is fresh.
    result = {"attempt_id": str(attempt_id), "is_correct": outcome.is_correct,
              "correct_answer": float(outcome.correct_answer), "mastery": float(outcome.mastery),
              "fluency_level": outcome.fluency_level, "duplicate": outcome.duplicate,
              "explanation": None if outcome.is_correct else fact["explanation"]}
    if session.mode == "placement":
        progress = await next_question(db, cache, user_id, session_id, now.date())
        if progress["finished"]:
            result["placement"] = await finish_session(db, cache, user_id, session_id, now)
    return result


async def pause_session(db: Database, user_id: uuid.UUID, session_id: uuid.UUID,
                        now: dt.datetime) -> dict[str, Any]:
    session = await _session(db, session_id, user_id)
    check_active(session.status)
    async with db.engine.begin() as conn:
        await conn.execute(text(
            "UPDATE practice_sessions SET status = 'paused', "
            "config = jsonb_set(config, '{paused_at}', to_jsonb(CAST(:now AS text))) "
            "WHERE id = :s AND status = 'active'"), {"s": session.id, "now": now.isoformat()})
    return {"session_id": str(session.id), "status": "paused"}


async def resume_session(db: Database, user_id: uuid.UUID, session_id: uuid.UUID,
                         now: dt.datetime) -> dict[str, Any]:
    session = await _session(db, session_id, user_id)
    check_paused(session.status)
    paused_s = paused_seconds(dt.datetime.fromisoformat(session.config["paused_at"]), now)
    async with db.engine.begin() as conn:
        total = await conn.scalar(text(
            "UPDATE practice_sessions SET status = 'active', "
            "paused_duration = COALESCE(paused_duration, 0) + :p, "
            "config = jsonb_set(config, '{paused_at}', 'null'::jsonb) "
            "WHERE id = :s AND status = 'paused' RETURNING paused_duration"),
            {"s": session.id, "p": paused_s})
    return {"session_id": str(session.id), "status": "active", "paused_duration": total}


async def session_summary(db: Database, user_id: uuid.UUID, session_id: uuid.UUID,
                          now: dt.datetime) -> dict[str, Any]:
    session = await _session(db, session_id, user_id)
    return await _summarise(db, session, now)


async def _summarise(db: Database, session: SessionRow, now: dt.datetime) -> dict[str, Any]:
    """Counts come from the session's answers; mastery_gained and new_mastered_facts are the
    columns the answer flow keeps current in the same transaction as each answer."""
    async with db.engine.connect() as conn:
        totals = (await conn.execute(text(
            "SELECT count(*) AS answered, count(*) FILTER (WHERE is_correct) AS correct, "
            "avg(response_time) AS avg_ms FROM answer_attempts WHERE session_id = :s"),
            {"s": session.id})).mappings().one()
        row = (await conn.execute(text(
            "SELECT end_time, COALESCE(mastery_gained, 0) AS gained, "
            "COALESCE(new_mastered_facts, '{}') AS facts FROM practice_sessions WHERE id = :s"),
            {"s": session.id})).mappings().one()
        progress = await _session_progress(conn, session)
    answered = totals["answered"]
    paused_at = session.config.get("paused_at") if session.status == "paused" else None
    active_s = active_seconds(session.start_time, row["end_time"] or now, session.paused_duration,
                              dt.datetime.fromisoformat(paused_at) if paused_at else None, now)
    return {"session_id": str(session.id), "mode": session.mode, "status": session.status,
            "track_id": session.config["track_id"],
            "daily_goal": await daily_goal(db, session.user_id, now.date()),
            "questions_answered": answered, "correct_answers": totals["correct"],
            "accuracy": round(totals["correct"] * 100 / answered, 2) if answered else None,
            "average_response_time": round(float(totals["avg_ms"])) if answered else None,
            "mastery_gained": float(row["gained"]), "new_mastered_facts": list(row["facts"]),
            "active_seconds": active_s, "paused_duration": session.paused_duration, **progress}


async def _session_progress(conn: AsyncConnection, session: SessionRow) -> dict[str, Any]:
    """What the session did for the student: facts whose mastery rose over the session (from
    before its first answer on the fact to after its last), the experience it earned and the
    student's level now, and when the session's facts come back for review."""
    facts = await conn.execute(text(
        "WITH mine AS (SELECT e.timestamp, e.payload->>'question_id' AS question_id, "
        "  e.payload->>'session_id' AS session_id, (e.payload->>'mastery')::numeric AS mastery, "
        "  COALESCE((e.payload->>'experience')::int, 0) AS xp "
        "  FROM learning_events e WHERE e.user_id = :u AND e.type = 'answer_submitted' "
        "  AND e.payload->>'question_id' IN (SELECT DISTINCT question_id::text FROM answer_attempts "
        "                                    WHERE session_id = :s)), "
        "per_fact AS (SELECT question_id, "
        "  (array_agg(mastery ORDER BY timestamp DESC) FILTER (WHERE session_id = :st))[1] AS after, "
        "  (array_agg(mastery ORDER BY timestamp DESC) FILTER (WHERE session_id <> :st "
        "     AND timestamp < (SELECT min(timestamp) FROM mine WHERE session_id = :st)))[1] AS before, "
        "  sum(xp) FILTER (WHERE session_id = :st) AS xp "
        "  FROM mine GROUP BY question_id) "
        "SELECT count(*) FILTER (WHERE after > COALESCE(before, 0)) AS improved, "
        "COALESCE(sum(xp), 0) AS xp FROM per_fact"),
        {"u": session.user_id, "s": session.id, "st": str(session.id)})
    improved, xp = facts.one()
    level = (await conn.execute(text(
        "SELECT COALESCE(experience_points, 0), COALESCE(current_level, 1) FROM user_statistics "
        "WHERE user_id = :u"), {"u": session.user_id})).first() or (0, 1)
    reviews = await conn.execute(text(
        "SELECT qp.next_review_date, count(*) FROM question_progress qp "
        "WHERE qp.user_id = :u AND qp.next_review_date IS NOT NULL AND qp.question_id IN "
        "(SELECT question_id FROM answer_attempts WHERE session_id = :s) "
        "GROUP BY qp.next_review_date ORDER BY qp.next_review_date"),
        {"u": session.user_id, "s": session.id})
    return {"facts_improved": improved, "experience_gained": int(xp),
            "experience_points": level[0], "level": level[1],
            "next_level_at": (level[1]) * XP_PER_LEVEL,
            "next_reviews": [{"date": day.isoformat(), "facts": n} for day, n in reviews.all()]}


async def student_today(db: Database, user_id: uuid.UUID, today: dt.date) -> dict[str, Any]:
    """The practice page's home: today's goal, the day streak, level and experience, and how
    many facts are due for review, in all and per track."""
    async with db.engine.connect() as conn:
        stats = (await conn.execute(text(
            "SELECT COALESCE(current_streak, 0), COALESCE(longest_streak, 0), last_practice_date, "
            "COALESCE(experience_points, 0), COALESCE(current_level, 1) "
            "FROM user_statistics WHERE user_id = :u"), {"u": user_id})).first()
        due = await conn.execute(text(
            "SELECT tf.track_id, count(DISTINCT qp.question_id) FROM question_progress qp "
            "JOIN track_facts tf ON tf.question_id = qp.question_id "
            "WHERE qp.user_id = :u AND qp.next_review_date <= :today GROUP BY tf.track_id"),
            {"u": user_id, "today": today})
        due_by_track = {str(t): n for t, n in due.all()}
        total_due = await conn.scalar(text(
            "SELECT count(*) FROM question_progress WHERE user_id = :u AND next_review_date <= :today"),
            {"u": user_id, "today": today})
    streak, longest, last_day, xp, level = stats or (0, 0, None, 0, 1)
    # The streak is alive while the student practised today or yesterday.
    alive = last_day is not None and (today - last_day).days <= 1
    return {"date": today.isoformat(), "daily_goal": await daily_goal(db, user_id, today),
            "streak": {"current": streak if alive else 0, "longest": longest,
                       "practised_today": last_day == today},
            "experience_points": xp, "level": level, "next_level_at": level * XP_PER_LEVEL,
            "due_reviews": total_due, "due_by_track": due_by_track}


async def finish_session(db: Database, cache: LearningCache, user_id: uuid.UUID,
                         session_id: uuid.UUID, now: dt.datetime) -> dict[str, Any]:
    session = await _session(db, session_id, user_id)
    if session.status == "completed":
        return await _summarise(db, session, now)
    if session.status == "paused":
        await resume_session(db, user_id, session_id, now)
        session = await _session(db, session_id, user_id)
    summary = await _summarise(db, session, now)
    placed: list[str] = []
    if session.mode == "placement":
        placed = await _apply_placement(db, cache, session, now)
    async with db.engine.begin() as conn:
        await conn.execute(text(
            "UPDATE practice_sessions SET status = 'completed', end_time = :now, "
            "total_duration = :minutes, current_question_index = :answered "
            "WHERE id = :s AND status <> 'completed'"),
            {"now": now, "minutes": summary["active_seconds"] // 60,
             "answered": summary["questions_answered"], "s": session.id})
    summary["status"] = "completed"
    if session.mode == "placement":
        summary["placed_out_sections"] = placed
    return summary


async def _apply_placement(db: Database, cache: LearningCache, session: SessionRow,
                           now: dt.datetime) -> list[str]:
    """Sections whose sampled facts were all answered right and fluently are completed."""
    async with db.engine.connect() as conn:
        answered = await _answered(conn, session.id)
    passed = passed_sections(session.config["placement"],
                             ((str(q), correct, ms) for q, correct, ms in answered))
    await complete_sections_by_placement(db, session.user_id, _track_of(session),
                                         [uuid.UUID(s) for s in passed], now)
    await cache.invalidate_students([session.user_id])
    return passed


async def daily_goal(db: Database, user_id: uuid.UUID, today: dt.date) -> dict[str, Any]:
    """Minutes practised today (learning.practice.practice_ms over today's answers, live games
    included) against the goal."""
    start = dt.datetime.combine(today, dt.time())
    async with db.engine.connect() as conn:
        goal = await conn.scalar(text("SELECT daily_goal_minutes FROM users WHERE id = :u"),
                                 {"u": user_id})
        answers = (await conn.execute(text(
            "SELECT session_id, timestamp, response_time FROM answer_attempts "
            "WHERE user_id = :u AND timestamp >= :start AND timestamp < :end"),
            {"u": user_id, "start": start, "end": start + dt.timedelta(days=1)})).all()
    rows = [(session, at, ms) for session, at, ms in answers]
    return DailyGoal(today, goal if goal is not None else DEFAULT_DAILY_GOAL_MINUTES,
                     practice_ms(rows), sum(ms for _, _, ms in rows)).as_json()
