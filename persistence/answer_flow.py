"""What the answer submission flow takes in and gives back (docs/answer-flow.md).

The rooms and HTTP layers build an `AttemptIn`, hand it to the `GroupCommitWriter`
(persistence/group_commit.py) and receive an `AttemptOutcome` once the attempt and all five
steps of the seed's flow are committed, or an `AttemptRejected` with a code.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# answer_attempts.user_answer / correct_answer are DECIMAL(10,2).
MAX_ANSWER = Decimal("99999999.99")
MAX_INT32 = 2**31 - 1
MAX_INPUT_METHOD = 20
MAX_RAW_INPUT = 200


@dataclass(frozen=True, slots=True)
class AttemptIn:
    attempt_id: uuid.UUID
    user_id: uuid.UUID
    session_id: uuid.UUID
    question_id: uuid.UUID
    raw_input: str
    user_answer: Decimal          # parsed by the caller
    correct_answer: Decimal
    response_time_ms: int         # measured by the server
    answered_at: dt.datetime      # naive UTC
    input_method: str = "keyboard"
    hints_used: int = 0
    confidence_rating: int | None = None
    question_index: int | None = None   # live games only
    points: int | None = None           # live games only
    device_info: dict[str, Any] | None = None
    # Live games only: the room and the owner epoch of the worker that accepted the answer;
    # stored only while that is still the room's epoch (docs/architecture.md, "Owning a room").
    room_id: uuid.UUID | None = None
    owner_epoch: int | None = None


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    attempt_id: uuid.UUID
    answer_id: uuid.UUID      # answer_attempts.id
    is_correct: bool
    correct_answer: Decimal
    response_time_ms: int
    points: int | None
    duplicate: bool           # True when this attempt_id had already been stored
    mastery: Decimal          # the fact's mastery after this attempt
    fluency_level: str


class AttemptRejected(Exception):
    """The attempt was not stored. `code` is stable and machine-readable:

    invalid_attempt      a field is out of range (the message says which)
    unknown_user         no such user
    unknown_question     no such question
    unknown_session      no such practice session
    session_mismatch     the session belongs to another user
    attempt_id_conflict  this attempt_id is already stored for another user
    already_answered     this live question already has a stored answer of this session
    room_moved           the live room has another owner now: the worker that accepted the
                         answer must stop running the room; resending it is safe
    storage_unavailable  the database failed; nothing was stored, retrying is safe
    writer_stopped       the writer is shutting down; nothing was stored
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _is_2dp(value: Decimal) -> bool:
    return value.is_finite() and value == value.quantize(Decimal("0.01"))


def validate_attempt(attempt: AttemptIn) -> None:
    """Rejects what the database would refuse or silently round, before it joins a batch."""
    problem = _problem(attempt)
    if problem:
        raise AttemptRejected("invalid_attempt", problem)


def _problem(a: AttemptIn) -> str | None:
    for name in ("user_answer", "correct_answer"):
        value = getattr(a, name)
        if not isinstance(value, Decimal) or not _is_2dp(value) or abs(value) > MAX_ANSWER:
            return f"{name} must be a decimal with at most 2 places and 8 integer digits"
    if not isinstance(a.response_time_ms, int) or not 0 <= a.response_time_ms <= MAX_INT32:
        return "response_time_ms must be a non-negative 32-bit integer"
    if not isinstance(a.answered_at, dt.datetime) or a.answered_at.tzinfo is not None:
        return "answered_at must be a naive UTC datetime"
    if not isinstance(a.input_method, str) or not 0 < len(a.input_method) <= MAX_INPUT_METHOD:
        return f"input_method must be 1 to {MAX_INPUT_METHOD} characters"
    if not isinstance(a.raw_input, str) or len(a.raw_input) > MAX_RAW_INPUT:
        return f"raw_input must be at most {MAX_RAW_INPUT} characters"
    if "\x00" in a.raw_input or "\x00" in a.input_method:
        return "text fields cannot contain NUL characters"
    if not isinstance(a.hints_used, int) or not 0 <= a.hints_used <= MAX_INT32:
        return "hints_used must be a non-negative integer"
    if a.confidence_rating is not None and a.confidence_rating not in (1, 2, 3, 4, 5):
        return "confidence_rating must be 1 to 5"
    for name in ("question_index", "points"):
        value = getattr(a, name)
        if value is not None and (not isinstance(value, int) or abs(value) > MAX_INT32):
            return f"{name} must be a 32-bit integer"
    if a.device_info is not None and not isinstance(a.device_info, dict):
        return "device_info must be an object"
    return None
