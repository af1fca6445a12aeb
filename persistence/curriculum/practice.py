"""Solo adaptive practice for a signed-in student: sessions, questions, answers, summaries.

Modes: "practice" (due reviews, weakest, new, in that order), "review" (due reviews only) and
"placement" (a fixed quiz sampling every section; sections answered all right and fluently
are completed at the end). Every answer goes through the group-commit answer writer; the
clock is injected (`now`, naive UTC) so tests can move days forward.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from persistence.answer_flow import AttemptIn, AttemptRejected
from persistence.curriculum.cache import LearningCache
from persistence.curriculum.progress import complete_sections_by_placement, is_track_unlocked
from persistence.curriculum.selection import choose_next_fact_in, placement_facts
from persistence.database import Database

MODES = ("practice", "review", "placement")
MAX_RESPONSE_TIME_MS = 10 * 60 * 1000
MAX_RAW_INPUT = 20
# What a child types: "56", "-3", "2.5" or "2,5". No exponents, no NaN, fits DECIMAL(10,2).
_ANSWER = re.compile(r"[+-]?[0-9]{1,8}(?:[.,][0-9]{1,2})?")
# The writer's rejections as HTTP statuses: bad input, storage trouble (retry), or a conflict.
_REJECTION_STATUS = {"invalid_attempt": 400, "storage_unavailable": 503, "writer_stopped": 503}
# A placement section is passed when every sampled fact is right within this time: fluent.
PLACEMENT_FLUENT_MS = 3000


class PracticeError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class SessionRow:
    id: uuid.UUID
    user_id: uuid.UUID
    mode: str
    config: dict
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
        raise PracticeError(404, "session_not_found", "No such practice session.")
    return SessionRow(*row)


def _track_of(session: SessionRow) -> uuid.UUID:
    return uuid.UUID(session.config["track_id"])


async def start_session(db: Database, cache: LearningCache, user_id: uuid.UUID,
                        track_id: uuid.UUID, mode: str, now: dt.datetime) -> dict:
    if mode not in MODES:
        raise PracticeError(400, "invalid_mode", f"mode must be one of {', '.join(MODES)}.")
    async with db.engine.connect() as conn:
        unlocked = await is_track_unlocked(conn, user_id, track_id)
        goal = await conn.scalar(text("SELECT daily_goal_minutes FROM users WHERE id = :u"),
                                 {"u": user_id})
    if unlocked is None:
        raise PracticeError(404, "track_not_found", "No such learning track.")
    # A placement quiz is how a student shows they already know a track, so it is open even
    # where practice is still locked.
    if not unlocked and mode != "placement":
        raise PracticeError(403, "track_locked", "Complete the prerequisite tracks first.")
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


async def _session_questions(db: Database, cache: LearningCache, session: SessionRow) -> dict:
    """The facts this session may ask, id → fact: cached as session:{id}:questions (1 h)."""
    async def load() -> dict:
        async with db.engine.connect() as conn:
            if session.mode == "placement":
                ids = [uuid.UUID(p["question_id"]) for p in session.config["placement"]]
                rows = await conn.execute(text(
                    "SELECT id, operand1, operand2, operation, correct_answer, hint, explanation, "
                    "display_format FROM questions WHERE id = ANY(CAST(:ids AS uuid[]))"), {"ids": ids})
            else:
                rows = await conn.execute(text(
                    "SELECT id, operand1, operand2, operation, correct_answer, hint, explanation, "
                    "display_format FROM questions WHERE track_id = :t"), {"t": _track_of(session)})
            return {str(r["id"]): {k: r[k] for k in r.keys() if k != "id"} for r in rows.mappings()}

    return await cache.session_questions(session.id, load)


async def _answered(conn, session_id: uuid.UUID) -> list[tuple[uuid.UUID, bool, int]]:
    rows = await conn.execute(text(
        "SELECT question_id, is_correct, response_time FROM answer_attempts "
        "WHERE session_id = :s ORDER BY timestamp, id"), {"s": session_id})
    return [tuple(r) for r in rows.all()]


def _public_question(question_id: str, fact: dict, index: int, reason: str, show_hint: bool) -> dict:
    return {"question_id": question_id, "index": index, "operand1": fact["operand1"],
            "operand2": fact["operand2"], "operation": fact["operation"],
            "display_format": fact["display_format"], "reason": reason,
            "hint": fact["hint"] if show_hint else None}


async def next_question(db: Database, cache: LearningCache, user_id: uuid.UUID,
                        session_id: uuid.UUID, today: dt.date) -> dict:
    session = await _session(db, session_id, user_id)
    if session.status != "active":
        raise PracticeError(409, f"session_{session.status}", f"The session is {session.status}.")
    facts = await _session_questions(db, cache, session)
    async with db.engine.connect() as conn:
        answered = await _answered(conn, session.id)
        show_hints = await conn.scalar(text("SELECT COALESCE(show_hints, true) FROM users WHERE id = :u"),
                                       {"u": user_id})
        if session.mode == "placement":
            done = {q for q, _, _ in answered}
            for item in session.config["placement"]:
                if uuid.UUID(item["question_id"]) not in done:
                    qid = item["question_id"]
                    return {"question": _public_question(qid, facts[qid], len(answered), "placement",
                                                         False), "finished": False}
            return {"question": None, "finished": True}
        last = session.config.get("last_question_id")
        choice = await choose_next_fact_in(conn, user_id, _track_of(session),
                                           uuid.UUID(last) if last else None, today,
                                           due_only=session.mode == "review")
    if choice is None:
        return {"question": None, "finished": True}
    qid = str(choice.question_id)
    return {"question": _public_question(qid, facts[qid], len(answered), choice.reason, bool(show_hints)),
            "finished": False}


def parse_answer(raw_input: Any) -> Decimal:
    if isinstance(raw_input, bool) or not isinstance(raw_input, (str, int)):
        raise PracticeError(400, "invalid_answer", "answer must be a number typed as text.")
    raw = str(raw_input).strip()
    if len(raw) > MAX_RAW_INPUT or not _ANSWER.fullmatch(raw):
        raise PracticeError(400, "invalid_answer",
                            "answer must be a number: digits, an optional sign, at most two decimals.")
    return Decimal(raw.replace(",", ".")).quantize(Decimal("0.01"))


async def submit_answer(db: Database, cache: LearningCache, writer, user_id: uuid.UUID,
                        session_id: uuid.UUID, *, attempt_id: uuid.UUID, question_id: uuid.UUID,
                        raw_input: Any, response_time_ms: Any, now: dt.datetime,
                        input_method: str = "keyboard") -> dict:
    if isinstance(response_time_ms, bool) or not isinstance(response_time_ms, int) \
            or not 0 <= response_time_ms <= MAX_RESPONSE_TIME_MS:
        raise PracticeError(400, "invalid_response_time",
                            f"response_time_ms must be an integer from 0 to {MAX_RESPONSE_TIME_MS}.")
    user_answer = parse_answer(raw_input)
    session = await _session(db, session_id, user_id)
    if session.status != "active":
        raise PracticeError(409, f"session_{session.status}", f"The session is {session.status}.")
    fact = (await _session_questions(db, cache, session)).get(str(question_id))
    if fact is None:
        raise PracticeError(400, "question_not_in_session", "That question is not part of this session.")
    correct_answer = Decimal(str(fact["correct_answer"]))
    if session.mode == "placement":
        async with db.engine.connect() as conn:
            earlier = await conn.scalar(text(
                "SELECT attempt_id FROM answer_attempts WHERE session_id = :s AND question_id = :q "
                "LIMIT 1"), {"s": session.id, "q": question_id})
        if earlier is not None and earlier != attempt_id:
            # A placement quiz counts each fact's first answer only (a retry is fine).
            raise PracticeError(409, "already_answered", "That placement question is answered.")
    attempt = AttemptIn(attempt_id=attempt_id, user_id=user_id, session_id=session.id,
                        question_id=question_id, raw_input=str(raw_input).strip(),
                        user_answer=user_answer, correct_answer=correct_answer,
                        response_time_ms=response_time_ms, answered_at=now, input_method=input_method)
    try:
        outcome = await writer.submit(attempt)
    except AttemptRejected as exc:
        raise PracticeError(_REJECTION_STATUS.get(exc.code, 409), exc.code, exc.message) from None
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
                        now: dt.datetime) -> dict:
    session = await _session(db, session_id, user_id)
    if session.status != "active":
        raise PracticeError(409, f"session_{session.status}", f"The session is {session.status}.")
    async with db.engine.begin() as conn:
        await conn.execute(text(
            "UPDATE practice_sessions SET status = 'paused', "
            "config = jsonb_set(config, '{paused_at}', to_jsonb(CAST(:now AS text))) "
            "WHERE id = :s AND status = 'active'"), {"s": session.id, "now": now.isoformat()})
    return {"session_id": str(session.id), "status": "paused"}


async def resume_session(db: Database, user_id: uuid.UUID, session_id: uuid.UUID,
                         now: dt.datetime) -> dict:
    session = await _session(db, session_id, user_id)
    if session.status != "paused":
        raise PracticeError(409, "session_not_paused", "Only a paused session can be resumed.")
    paused_at = dt.datetime.fromisoformat(session.config["paused_at"])
    paused_s = max(0, int((now - paused_at).total_seconds()))
    async with db.engine.begin() as conn:
        total = await conn.scalar(text(
            "UPDATE practice_sessions SET status = 'active', "
            "paused_duration = COALESCE(paused_duration, 0) + :p, "
            "config = jsonb_set(config, '{paused_at}', 'null'::jsonb) "
            "WHERE id = :s AND status = 'paused' RETURNING paused_duration"),
            {"s": session.id, "p": paused_s})
    return {"session_id": str(session.id), "status": "active", "paused_duration": total}


async def session_summary(db: Database, user_id: uuid.UUID, session_id: uuid.UUID,
                          now: dt.datetime) -> dict:
    session = await _session(db, session_id, user_id)
    return await _summarise(db, session, now)


async def _summarise(db: Database, session: SessionRow, now: dt.datetime) -> dict:
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
    answered = totals["answered"]
    end_time = row["end_time"] or now
    active_s = (end_time - session.start_time).total_seconds() - session.paused_duration
    if session.status == "paused" and session.config.get("paused_at"):
        active_s -= (now - dt.datetime.fromisoformat(session.config["paused_at"])).total_seconds()
    return {"session_id": str(session.id), "mode": session.mode, "status": session.status,
            "track_id": session.config["track_id"],
            "daily_goal": await daily_goal(db, session.user_id, now.date()),
            "questions_answered": answered, "correct_answers": totals["correct"],
            "accuracy": round(totals["correct"] * 100 / answered, 2) if answered else None,
            "average_response_time": round(float(totals["avg_ms"])) if answered else None,
            "mastery_gained": float(row["gained"]), "new_mastered_facts": list(row["facts"]),
            "active_seconds": max(0, int(active_s)), "paused_duration": session.paused_duration}


async def finish_session(db: Database, cache: LearningCache, user_id: uuid.UUID,
                         session_id: uuid.UUID, now: dt.datetime) -> dict:
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
    first_try = {}
    for question_id, correct, ms in answered:
        first_try.setdefault(str(question_id), (correct, ms))
    by_section: dict[str, list[bool]] = {}
    for item in session.config["placement"]:
        result = first_try.get(item["question_id"])
        passed = result is not None and result[0] and result[1] <= PLACEMENT_FLUENT_MS
        by_section.setdefault(item["section_id"], []).append(passed)
    passed_sections = [s for s, results in by_section.items() if all(results)]
    await complete_sections_by_placement(db, session.user_id, _track_of(session),
                                         [uuid.UUID(s) for s in passed_sections], now)
    await cache.invalidate_students([session.user_id])
    return passed_sections


async def daily_goal(db: Database, user_id: uuid.UUID, today: dt.date) -> dict:
    """Minutes practised today (time spent answering, from the record) against the goal."""
    start = dt.datetime.combine(today, dt.time())
    async with db.engine.connect() as conn:
        row = (await conn.execute(text(
            "SELECT u.daily_goal_minutes, (SELECT COALESCE(sum(a.response_time), 0) "
            "FROM answer_attempts a WHERE a.user_id = u.id AND a.timestamp >= :start "
            "AND a.timestamp < :end) AS ms FROM users u WHERE u.id = :u"),
            {"u": user_id, "start": start, "end": start + dt.timedelta(days=1)})).first()
    goal, ms = (row[0] or 0, int(row[1])) if row else (0, 0)
    minutes = ms / 60000
    return {"date": today.isoformat(), "goal_minutes": goal, "practised_minutes": round(minutes, 1),
            "met": goal > 0 and minutes >= goal,
            "remaining_minutes": round(max(0.0, goal - minutes), 1)}
