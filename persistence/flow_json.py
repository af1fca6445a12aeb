"""JSON text of the JSONB values the answer writer stores, written by hand.

Every touched user, fact and day row carries one or two small JSON documents, and every
attempt an event payload: json.dumps on each was about a tenth of the writer's CPU. These
encoders produce the same JSON values (PostgreSQL parses both into the same JSONB) for the
shapes the writer builds, and fall back to json.dumps for anything else, so a value that was
stored by other code is never written back wrong.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from json.encoder import encode_basestring_ascii as _string  # the C encoder's string quoting

from persistence.flow_rules import OperationTotals, percentage_text, rounded_average

_RECENT_KEYS = {"is_correct", "response_time", "timestamp"}


def _is_int(value: object) -> bool:
    return type(value) is int   # not bool: True must stay true, not 1


def int_map(values: Mapping[str, int]) -> str:
    """{"name": count, …} (facts_by_fluency_level, time_by_mode)."""
    if not all(type(k) is str and _is_int(v) for k, v in values.items()):
        return json.dumps(values)
    return "{" + ", ".join([f"{_string(k)}: {v}" for k, v in values.items()]) + "}"


def recent_attempts(entries: list) -> str:
    """question_progress.recent_attempts: [{"is_correct", "response_time", "timestamp"}, …]."""
    parts = []
    for e in entries:
        if (type(e) is not dict or e.keys() != _RECENT_KEYS or type(e["is_correct"]) is not bool
                or not _is_int(e["response_time"]) or type(e["timestamp"]) is not str):
            return json.dumps(entries)
        parts.append(f'{{"is_correct": {"true" if e["is_correct"] else "false"}, '
                     f'"response_time": {e["response_time"]}, '
                     f'"timestamp": {_string(e["timestamp"])}}}')
    return "[" + ", ".join(parts) + "]"


def performance_by_operation(totals: Mapping[str, OperationTotals]) -> str:
    """user_statistics.performance_by_operation, as OperationTotals.as_json() describes it."""
    parts = []
    for op, t in totals.items():
        accuracy = percentage_text(t.correct, t.attempts)
        average = rounded_average(t.total_response_time, t.attempts)
        parts.append(
            f'{_string(op)}: {{"attempts": {t.attempts}, "correct": {t.correct}, '
            f'"total_response_time": {t.total_response_time}, '
            f'"accuracy": {"null" if accuracy is None else repr(float(accuracy))}, '
            f'"average_response_time": {"null" if average is None else average}}}')
    return "{" + ", ".join(parts) + "}"


def answer_payload(*, attempt_id: str, answer_id: str, question_id: str, session_id: str,
                   is_correct: bool, response_time: int, attempt_number: int, mastery: str,
                   fluency_level: str, experience: int) -> str:
    """The "answer_submitted" learning event's payload (docs/answer-flow.md, step 5)."""
    return (f'{{"attempt_id": {_string(attempt_id)}, "answer_id": {_string(answer_id)}, '
            f'"question_id": {_string(question_id)}, "session_id": {_string(session_id)}, '
            f'"is_correct": {"true" if is_correct else "false"}, '
            f'"response_time": {int(response_time)}, "attempt_number": {int(attempt_number)}, '
            f'"mastery": {_string(mastery)}, "fluency_level": {_string(fluency_level)}, '
            f'"experience": {int(experience)}}}')
