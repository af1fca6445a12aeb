"""One batch of attempts through the five steps of the answer flow, in one transaction.

`commit_batch` locks the batch's users, reads the current rows, applies the attempts one by
one in order with the pure rules of learning/flow_rules.py, and writes the final states
back with one set-based statement per table (sql/answer_flow/*.sql). It returns, per
attempt and in order, an AttemptOutcome or the AttemptRejected that explains why it was not
stored; a rejected attempt changes nothing. It raises only when the transaction failed, in
which case nothing of the batch was stored.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import cache
from types import MappingProxyType

import asyncpg

from learning.flow_rules import (
    FLUENCY_LEVELS,
    Applied,
    DayState,
    FactState,
    OperationTotals,
    SessionState,
    UserState,
    apply_attempt,
    level_for,
    percentage_text,
    rounded_average,
)
from persistence import flow_json
from persistence.answer_flow import AttemptIn, AttemptOutcome, AttemptRejected
from persistence.ids import time_ordered_ints, time_ordered_uuids
from persistence.pg_arrays import Column, column_parameters
from sql import read_sql

Result = AttemptOutcome | AttemptRejected
QUESTION_CACHE_LIMIT = 200_000


# Steps 1–5 and the session counters, in this order: one statement each in
# sql/answer_flow/, sent together as one (write_back_statement).
WRITE_BACK = ("insert_answer_attempts", "upsert_question_progress", "update_user_statistics",
              "upsert_daily_summaries", "update_practice_sessions", "insert_learning_events")
_PARAMETER = re.compile(r"\$(\d+)")


# For the connections that run these statements and nothing else (the writer's own pool).
# Each statement looks rows up by key, `unnest(keys)` against a unique index, and runs as a
# generic plan cached by the connection. A plan made while a table was small, a sequential
# scan hashed against the keys, stayed until the table's statistics changed (never, with
# autovacuum off), so every batch scanned the whole table: at batches of 20 that was 40 % of
# the flow's PostgreSQL CPU (docs/performance.md, "Design decisions"). These leave the planner only
# the index probes the statements are written for, whatever the tables' size at planning.
KEY_LOOKUP_SETTINGS = MappingProxyType(
    {"enable_seqscan": "off", "enable_hashjoin": "off", "enable_mergejoin": "off"})


@cache
def statement(name: str) -> str:
    return read_sql(f"answer_flow/{name}.sql")


def parameter_count(sql: str) -> int:
    return max(int(n) for n in _PARAMETER.findall(sql))


def _shifted_by(offset: int) -> Callable[[re.Match[str]], str]:
    """A substitution that renumbers a statement's $n parameters to $(n + offset)."""

    def shift(match: re.Match[str]) -> str:
        return f"${int(match.group(1)) + offset}"

    return shift


@cache
def write_back_statement() -> str:
    """The WRITE_BACK statements as the data-modifying CTEs of one statement, their
    parameters renumbered one after another: one round trip and one executor start instead
    of four, which is most of their cost in the small batches of a live classroom. (They
    write four different tables, so sharing one snapshot changes nothing.)"""
    parts, offset = [], 0
    for name in WRITE_BACK:
        sql = statement(name)
        renumbered = _PARAMETER.sub(_shifted_by(offset), sql)
        parts.append(f"{name} AS (\n{renumbered.rstrip()}\n)")
        offset += parameter_count(sql)
    return "WITH " + ",\n".join(parts) + "\nSELECT 1"


class QuestionCatalog:
    """question_id → operation. Facts are immutable once created, so they are cached."""

    def __init__(self) -> None:
        self._operations: dict[uuid.UUID, str] = {}

    async def operations(self, conn: asyncpg.Connection,
                         ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        known = self._operations
        missing = [qid for qid in ids if qid not in known]
        if missing:
            if len(known) + len(missing) > QUESTION_CACHE_LIMIT:
                known.clear()
            for row in await conn.fetch(statement("select_questions"), missing):
                known[row["id"]] = row["operation"]
        return known


# ---- rows → states -----------------------------------------------------------------------

def _user_state(row: asyncpg.Record) -> UserState:
    levels = dict.fromkeys(FLUENCY_LEVELS, 0)
    if row["facts_by_fluency_level"]:
        levels.update(flow_json.loads(row["facts_by_fluency_level"]))
    operations = {}
    if row["performance_by_operation"]:
        for op, t in flow_json.loads(row["performance_by_operation"]).items():
            operations[op] = OperationTotals(t["attempts"], t["correct"], t["total_response_time"])
    return UserState(
        daily_goal_minutes=row["daily_goal_minutes"],
        total_questions_answered=row["total_questions_answered"] or 0,
        total_correct_answers=row["total_correct_answers"] or 0,
        total_response_time=row["total_response_time"],
        last_practice_date=row["last_practice_date"],
        current_streak=row["current_streak"] or 0,
        longest_streak=row["longest_streak"] or 0,
        daily_practice_ms=row["daily_practice_ms"],
        weekly_practice_ms=row["weekly_practice_ms"],
        monthly_practice_ms=row["monthly_practice_ms"],
        facts_by_fluency_level=levels,
        performance_by_operation=operations,
        achievements_unlocked=list(row["achievements_unlocked"] or ()),
        experience_points=row["experience_points"] or 0,
    )


def _fact_state(row: asyncpg.Record) -> FactState:
    return FactState(
        total_attempts=row["total_attempts"] or 0,
        correct_attempts=row["correct_attempts"] or 0,
        incorrect_attempts=row["incorrect_attempts"] or 0,
        total_response_time=row["total_response_time"],
        best_response_time=row["best_response_time"],
        last_response_time=row["last_response_time"],
        first_attempt_date=row["first_attempt_date"],
        last_attempt_date=row["last_attempt_date"],
        mastery=row["mastery"] if row["mastery"] is not None else Decimal("0.00"),
        fluency_level=row["fluency_level"] or "not_started",
        current_streak=row["current_streak"] or 0,
        best_streak=row["best_streak"] or 0,
        recent_attempts=flow_json.loads(row["recent_attempts"]) if row["recent_attempts"] else [],
        next_review_date=row["next_review_date"],
        review_interval=row["review_interval"],
        ease_factor=row["ease_factor"] if row["ease_factor"] is not None else Decimal("2.50"),
    )


def _day_state(row: asyncpg.Record) -> DayState:
    return DayState(
        questions_answered=row["questions_answered"] or 0,
        correct_answers=row["correct_answers"] or 0,
        total_response_time=row["total_response_time"],
        facts_reviewed=row["facts_reviewed"] or 0,
        new_facts_learned=row["new_facts_learned"] or 0,
        facts_mastered=row["facts_mastered"] or 0,
        sessions=row["sessions"] or 0,
        time_by_mode=flow_json.loads(row["time_by_mode"]) if row["time_by_mode"] else {},
        current_streak=row["current_streak"] or 0,
    )


def _session_state(row: asyncpg.Record) -> SessionState:
    return SessionState(
        user_id=row["user_id"], mode=row["mode"],
        questions_answered=row["questions_answered"] or 0,
        correct_answers=row["correct_answers"] or 0,
        total_response_time=row["total_response_time"],
        mastery_gained=row["mastery_gained"] if row["mastery_gained"] is not None else Decimal(0),
        new_mastered_facts=list(row["new_mastered_facts"] or ()),
    )


# ---- the batch ---------------------------------------------------------------------------

class _Batch:
    """The states a batch reads, changes and writes back."""

    def __init__(self) -> None:
        self.users: dict[uuid.UUID, UserState] = {}
        self.sessions: dict[uuid.UUID, SessionState] = {}
        self.operations: dict[uuid.UUID, str] = {}
        self.stored: dict[uuid.UUID, asyncpg.Record] = {}
        # (session_id, question_index) of the live questions already answered (stored).
        self.answered: set[tuple[uuid.UUID, int]] = set()
        self.facts: dict[tuple[uuid.UUID, uuid.UUID], FactState] = {}
        self.days: dict[tuple[uuid.UUID, dt.date], DayState] = {}
        self.touched_sessions: set[uuid.UUID] = set()
        self.room_epochs: dict[uuid.UUID, int] = {}  # the live rooms' owner epochs, locked

    def rejection(self, a: AttemptIn) -> AttemptRejected | None:
        if a.room_id is not None and self.room_epochs.get(a.room_id) != a.owner_epoch:
            return AttemptRejected("room_moved", "another server runs this room now; send the "
                                                 "answer again")
        if a.user_id not in self.users:
            return AttemptRejected("unknown_user", "no such user")
        if a.question_id not in self.operations:
            return AttemptRejected("unknown_question", "no such question")
        session = self.sessions.get(a.session_id)
        if session is None:
            return AttemptRejected("unknown_session", "no such practice session")
        if session.user_id != a.user_id:
            return AttemptRejected("session_mismatch", "the session belongs to another user")
        return None


def _conflict() -> AttemptRejected:
    return AttemptRejected("attempt_id_conflict", "this attempt_id is already used by another user")


async def _load(conn: asyncpg.Connection, attempts: Sequence[AttemptIn],
                catalog: QuestionCatalog) -> _Batch:
    """Reads the batch's rows. Each statement returns its rows' 1-based position in the key
    list it was given, and the rows are keyed by those keys, the attempts' own uuid.UUID
    objects: asyncpg's UUIDs compute their hash from their bytes on every lookup, which
    profiling showed as 5 % of the writer's Python time when they were the keys."""
    batch = _Batch()
    room_ids = sorted({a.room_id for a in attempts if a.room_id is not None})
    if room_ids:   # first, so every batch takes its locks in one order: rooms, then users
        for row in await conn.fetch(statement("lock_rooms"), room_ids):
            batch.room_epochs[room_ids[row["position"] - 1]] = row["owner_epoch"]
    user_ids = sorted({a.user_id for a in attempts})
    locked = await conn.fetch(statement("lock_users"), user_ids)
    missing = [user_ids[row["position"] - 1] for row in locked if not row["has_statistics"]]
    if missing:   # first attempts: create their statistics rows, then read those
        await conn.execute(statement("create_user_statistics"), missing)
        for row in await conn.fetch(statement("lock_users"), missing):
            batch.users[missing[row["position"] - 1]] = _user_state(row)
    for row in locked:
        if row["has_statistics"]:
            batch.users[user_ids[row["position"] - 1]] = _user_state(row)
    session_ids = list({a.session_id for a in attempts})
    for row in await conn.fetch(statement("select_sessions"), session_ids):
        batch.sessions[session_ids[row["position"] - 1]] = _session_state(row)
    batch.operations = await catalog.operations(conn, {a.question_id for a in attempts})
    attempt_ids = [a.attempt_id for a in attempts]
    for row in await conn.fetch(statement("select_stored_attempts"), attempt_ids,
                                [a.session_id for a in attempts],
                                [a.question_index for a in attempts]):
        key = attempt_ids[row["position"] - 1]
        if row["attempt_id"] == key:
            batch.stored[key] = row
        else:   # another attempt of that session already answered that live question
            batch.answered.add((row["session_id"], row["question_index"]))
    fact_keys = list({(a.user_id, a.question_id) for a in attempts})
    for row in await conn.fetch(statement("select_question_progress"),
                                *column_parameters(fact_keys, "uu")):
        batch.facts[fact_keys[row["position"] - 1]] = _fact_state(row)
    day_keys = list({(a.user_id, a.answered_at.date()) for a in attempts})
    for row in await conn.fetch(statement("select_daily_summaries"),
                                *column_parameters(day_keys, "ud")):
        batch.days[day_keys[row["position"] - 1]] = _day_state(row)
    return batch


def _stored_outcome(row: asyncpg.Record, fact: FactState | None) -> AttemptOutcome:
    return AttemptOutcome(
        attempt_id=row["attempt_id"], answer_id=row["id"], is_correct=row["is_correct"],
        correct_answer=row["correct_answer"], response_time_ms=row["response_time"],
        points=row["points"], duplicate=True,
        mastery=fact.mastery if fact else Decimal("0.00"),
        fluency_level=fact.fluency_level if fact else "not_started")


class CommitUncertain(Exception):
    """COMMIT was sent and no reply came (the connection broke, or the wait ran out): the
    batch may or may not be stored. `results` are what it stored if it was."""

    def __init__(self, results: list[Result]) -> None:
        super().__init__("the COMMIT's reply was lost")
        self.results = results


async def commit_batch(conn: asyncpg.Connection, attempts: Sequence[AttemptIn],
                       catalog: QuestionCatalog) -> list[Result]:
    """Stores `attempts` in one transaction; see the module docstring. Raises CommitUncertain
    when COMMIT was sent but its outcome is unknown; any other exception means nothing of the
    batch was stored."""
    transaction = conn.transaction()
    await transaction.start()
    try:
        results = await _apply(conn, attempts, catalog)
    except asyncpg.PostgresError:
        # PostgreSQL answered with an error: end the transaction here if the connection still
        # works (a broken one is the caller's to discard, with its transaction).
        if not conn.is_closed():
            with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError):
                await transaction.rollback()
        raise
    try:
        await transaction.commit()
    except BaseException as exc:
        # Even an error reply may follow a durable commit (a backend told to shut down
        # between writing its commit record and replying), so any failure here is uncertain
        # and the caller looks the batch up.
        raise CommitUncertain(results) from exc
    return results


async def _apply(conn: asyncpg.Connection, attempts: Sequence[AttemptIn],
                 catalog: QuestionCatalog) -> list[Result]:
    batch = await _load(conn, attempts, catalog)
    results: list[Result] = []
    applied: list[tuple[AttemptIn, uuid.UUID, Applied]] = []
    first_seen: dict[uuid.UUID, int] = {}   # attempt_id → index of its first result
    # A live question a session answered in this batch: a second attempt_id for it is refused.
    answering: set[tuple[uuid.UUID, int]] = set()
    answer_ids = iter(time_ordered_uuids(len(attempts)))
    for a in attempts:
        earlier = first_seen.get(a.attempt_id)
        if earlier is not None:
            results.append(_repeat(attempts[earlier], results[earlier], a))
            continue
        first_seen[a.attempt_id] = len(results)
        stored = batch.stored.get(a.attempt_id)
        if stored is not None:
            same_user = stored["user_id"] == a.user_id
            fact = batch.facts.get((a.user_id, stored["question_id"]))
            results.append(_stored_outcome(stored, fact) if same_user else _conflict())
            continue
        rejected = batch.rejection(a)
        if rejected is not None:
            results.append(rejected)
            continue
        if a.question_index is not None:
            question = (a.session_id, a.question_index)
            if question in batch.answered or question in answering:
                results.append(AttemptRejected(
                    "already_answered", "this question already has a stored answer of yours"))
                continue
            answering.add(question)
        fact_key, day_key = (a.user_id, a.question_id), (a.user_id, a.answered_at.date())
        fact = batch.facts.get(fact_key)
        if fact is None:
            fact = batch.facts[fact_key] = FactState()
        day = batch.days.get(day_key)
        if day is None:
            day = batch.days[day_key] = DayState()
        batch.touched_sessions.add(a.session_id)
        done = apply_attempt(a, operation=batch.operations[a.question_id], fact=fact,
                             user=batch.users[a.user_id], day=day,
                             session=batch.sessions[a.session_id])
        answer_id = next(answer_ids)
        applied.append((a, answer_id, done))
        results.append(AttemptOutcome(
            attempt_id=a.attempt_id, answer_id=answer_id, is_correct=done.is_correct,
            correct_answer=a.correct_answer, response_time_ms=a.response_time_ms,
            points=a.points, duplicate=False, mastery=done.mastery,
            fluency_level=done.fluency_level))
    if applied:
        await _write(conn, batch, applied)
    return results


def _repeat(first: AttemptIn, first_result: Result, again: AttemptIn) -> Result:
    """The same attempt_id twice in one batch: the second is a retry of the first."""
    if first.user_id != again.user_id:
        return _conflict()
    if isinstance(first_result, AttemptRejected):
        return first_result
    return AttemptOutcome(
        attempt_id=first_result.attempt_id, answer_id=first_result.answer_id,
        is_correct=first_result.is_correct, correct_answer=first_result.correct_answer,
        response_time_ms=first_result.response_time_ms, points=first_result.points,
        duplicate=True, mastery=first_result.mastery, fluency_level=first_result.fluency_level)


# ---- states → rows -----------------------------------------------------------------------

async def _write(conn: asyncpg.Connection, batch: _Batch,
                 applied: list[tuple[AttemptIn, uuid.UUID, Applied]]) -> None:
    fact_keys = {(a.user_id, a.question_id) for a, _, _ in applied}
    user_ids = sorted({a.user_id for a, _, _ in applied})
    day_keys = {(a.user_id, a.answered_at.date()) for a, _, _ in applied}
    await conn.execute(write_back_statement(), *_attempt_columns(applied),
                       *_fact_columns(batch, fact_keys), *_user_columns(batch, user_ids),
                       *_day_columns(batch, day_keys), *_session_columns(batch),
                       *_event_columns(applied))


def _text_array(items: list[str]) -> str:
    """A text[] literal, sent as one text element and cast in SQL; the items (achievement
    names, UUIDs) need no quoting."""
    return "{" + ",".join(items) + "}"


def _attempt_columns(applied: list[tuple[AttemptIn, uuid.UUID, Applied]]) -> list[Column]:
    rows = [
        (answer_id, a.attempt_id, a.question_id, a.user_id, a.session_id, a.user_answer,
         done.is_correct, a.correct_answer, a.response_time_ms, a.answered_at, a.input_method,
         a.raw_input, done.attempt_number, a.hints_used, done.fluency_score,
         a.confidence_rating, a.question_index, a.points)
        for a, answer_id, done in applied]
    return column_parameters(rows, "uuuuuvbvvdttvvvvvv")


def _fact_columns(batch: _Batch, keys: set[tuple[uuid.UUID, uuid.UUID]]) -> list[Column]:
    rows = []
    # Existing rows keep their id (ON CONFLICT DO UPDATE); asyncpg encodes 32 hex digits in C.
    new_ids = iter(time_ordered_ints(len(keys)))
    for user_id, question_id in keys:
        f = batch.facts[(user_id, question_id)]
        rows.append((f"{next(new_ids):032x}", user_id, question_id, f.total_attempts, f.correct_attempts,
                     f.incorrect_attempts, f.total_response_time, f.average_response_time,
                     f.best_response_time, f.last_response_time, f.first_attempt_date,
                     f.last_attempt_date, f.current_streak, f.best_streak,
                     flow_json.recent_attempts(f.recent_attempts), f.next_review_date, f.review_interval,
                     f.ease_factor))
    return column_parameters(rows, "uuuvvvvvvvddvvtdvv")


def _user_columns(batch: _Batch, user_ids: list[uuid.UUID]) -> list[Column]:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = []
    for user_id in user_ids:
        u = batch.users[user_id]
        rows.append((
            user_id, u.total_response_time // 60000, u.daily_practice_ms // 60000,
            u.weekly_practice_ms // 60000, u.monthly_practice_ms // 60000, u.current_streak,
            u.longest_streak, u.total_questions_answered, u.total_correct_answers,
            percentage_text(u.total_correct_answers, u.total_questions_answered) or "0.00",
            rounded_average(u.total_response_time, u.total_questions_answered) or 0,
            u.total_mastered_facts, flow_json.int_map(u.facts_by_fluency_level),
            flow_json.performance_by_operation(u.performance_by_operation),
            _text_array(u.achievements_unlocked), level_for(u.experience_points),
            u.experience_points, u.total_response_time, u.last_practice_date,
            u.daily_practice_ms, u.weekly_practice_ms, u.monthly_practice_ms, now))
    return column_parameters(rows, "uvvvvvvvvvvvtttvvvdvvvd")


def _day_columns(batch: _Batch, keys: set[tuple[uuid.UUID, dt.date]]) -> list[Column]:
    rows = []
    for user_id, date in keys:
        d = batch.days[(user_id, date)]
        rows.append((
            user_id, date, d.total_response_time // 60000, d.sessions, d.questions_answered,
            d.correct_answers, percentage_text(d.correct_answers, d.questions_answered),
            rounded_average(d.total_response_time, d.questions_answered), d.facts_reviewed,
            d.new_facts_learned, d.facts_mastered, flow_json.int_map(d.time_by_mode),
            d.daily_goal_met(batch.users[user_id].daily_goal_minutes), d.current_streak,
            d.total_response_time))
    return column_parameters(rows, "udvvvvvvvvvtbvv")


def _event_columns(applied: list[tuple[AttemptIn, uuid.UUID, Applied]]) -> list[Column]:
    rows = []
    ids = time_ordered_uuids(len(applied))
    for (a, answer_id, done), event_id in zip(applied, ids, strict=True):
        payload = flow_json.answer_payload(
            attempt_id=a.attempt_id, answer_id=answer_id, question_id=a.question_id,
            session_id=a.session_id, is_correct=done.is_correct, response_time=a.response_time_ms,
            attempt_number=done.attempt_number, mastery=str(done.mastery),
            fluency_level=done.fluency_level, experience=done.experience)
        device = json.dumps(a.device_info) if a.device_info is not None else None
        rows.append((event_id, a.user_id, a.answered_at, payload, device))
    return column_parameters(rows, "udttt")


def _session_columns(batch: _Batch) -> list[Column]:
    rows = []
    for session_id in batch.touched_sessions:
        s = batch.sessions[session_id]
        rows.append((
            session_id, s.questions_answered, s.correct_answers,
            percentage_text(s.correct_answers, s.questions_answered),
            rounded_average(s.total_response_time, s.questions_answered),
            s.total_response_time, s.mastery_gained, _text_array(s.new_mastered_facts)))
    return column_parameters(rows, "uvvvvvvt")
