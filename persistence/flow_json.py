"""JSON of the JSONB values the answer writer reads and writes, with orjson.

Every touched user, fact and day row carries one or two small JSON documents, and every
attempt an event payload. The standard library's json took 3–6 µs to parse each of these
documents on the benchmark machine and was the largest single Python cost of the writer
after the rules; orjson (a C extension) parses and writes the same values in under 1 µs.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import orjson

from learning.flow_rules import OperationTotals, percentage_text, rounded_average


def loads(text: str) -> Any:
    return orjson.loads(text)


def dumps(value: object) -> str:
    """JSON text of a dict or list of str keys, ints, floats, bools, None and strings."""
    return orjson.dumps(value).decode()


def _uuid_text(value: object) -> str:
    # orjson formats uuid.UUID itself; asyncpg's UUID (ids read from the database) is a
    # subclass it leaves to this hook.
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _dumps_with_uuids(value: object) -> str:
    return orjson.dumps(value, default=_uuid_text).decode()


def int_map(values: Mapping[str, int]) -> str:
    """{"name": count, …} (facts_by_fluency_level, time_by_mode)."""
    return dumps(values)


def recent_attempts(entries: list[Any]) -> str:
    """question_progress.recent_attempts: [{"is_correct", "response_time", "timestamp"}, …]."""
    return dumps(entries)


def performance_by_operation(totals: Mapping[str, OperationTotals]) -> str:
    """user_statistics.performance_by_operation, as OperationTotals.as_json() describes it
    (the accuracy from integer arithmetic instead of a Decimal division)."""
    document = {}
    for op, t in totals.items():
        accuracy = percentage_text(t.correct, t.attempts)
        document[op] = {
            "attempts": t.attempts, "correct": t.correct,
            "total_response_time": t.total_response_time,
            "accuracy": None if accuracy is None else float(accuracy),
            "average_response_time": rounded_average(t.total_response_time, t.attempts)}
    return dumps(document)


def answer_payload(*, attempt_id: uuid.UUID, answer_id: uuid.UUID, question_id: uuid.UUID,
                   session_id: uuid.UUID, is_correct: bool, response_time: int,
                   attempt_number: int, mastery: str, fluency_level: str, experience: int) -> str:
    """The "answer_submitted" learning event's payload (docs/answer-flow.md, step 5). The
    ids are written as their canonical strings; orjson formats a uuid.UUID in C, where
    str() on each of the four costs a Python method call per attempt."""
    return _dumps_with_uuids({
        "attempt_id": attempt_id, "answer_id": answer_id, "question_id": question_id,
        "session_id": session_id, "is_correct": is_correct, "response_time": int(response_time),
        "attempt_number": int(attempt_number), "mastery": mastery, "fluency_level": fluency_level,
        "experience": int(experience)})
