"""The decisions of solo practice, apart from where its sessions are stored.

Modes: "practice" (due reviews, weakest, new, in that order), "review" (due reviews only) and
"placement" (a fixed quiz sampling every section; sections answered all right and fluently
are completed at the end). persistence/curriculum/practice.py loads a session's rows, asks
these functions, and stores the outcome; a refusal is a PracticeError whose `code` is stable
and machine-readable (server/ decides which HTTP status each code gets).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MODES = ("practice", "review", "placement")
MAX_RESPONSE_TIME_MS = 10 * 60 * 1000
# A placement section is passed when every sampled fact is right within this time: fluent.
PLACEMENT_FLUENT_MS = 3000
PLACEMENT_PER_SECTION = 3


class PracticeError(Exception):
    """A practice request refused. Codes:

    invalid_mode, invalid_response_time, invalid_answer, question_not_in_session  bad input
    session_not_found, track_not_found                    nothing (visible to this student)
    track_locked                                          the prerequisites are not complete
    session_paused, session_completed, session_not_paused, already_answered   not now
    and the answer writer's codes (persistence.answer_flow.AttemptRejected), passed through.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise PracticeError("invalid_mode", f"mode must be one of {', '.join(MODES)}.")


def check_may_start(mode: str, unlocked: bool | None) -> None:
    """`unlocked` is None when the track does not exist."""
    if unlocked is None:
        raise PracticeError("track_not_found", "No such learning track.")
    # A placement quiz is how a student shows they already know a track, so it is open even
    # where practice is still locked.
    if not unlocked and mode != "placement":
        raise PracticeError("track_locked", "Complete the prerequisite tracks first.")


def check_active(status: str) -> None:
    """Questions are asked and answered only while a session is active."""
    if status != "active":
        raise PracticeError(f"session_{status}", f"The session is {status}.")


def check_paused(status: str) -> None:
    if status != "paused":
        raise PracticeError("session_not_paused", "Only a paused session can be resumed.")


def check_response_time(response_time_ms: object) -> int:
    if isinstance(response_time_ms, bool) or not isinstance(response_time_ms, int) \
            or not 0 <= response_time_ms <= MAX_RESPONSE_TIME_MS:
        raise PracticeError("invalid_response_time",
                            f"response_time_ms must be an integer from 0 to {MAX_RESPONSE_TIME_MS}.")
    return response_time_ms


def check_first_placement_answer(earlier_attempt: object | None, attempt: object) -> None:
    """A placement quiz counts each fact's first answer only (a retry of it is fine)."""
    if earlier_attempt is not None and earlier_attempt != attempt:
        raise PracticeError("already_answered", "That placement question is answered.")


# ---- placement ---------------------------------------------------------------------------

def placement_positions(section_size: int, per_section: int = PLACEMENT_PER_SECTION) -> list[int]:
    """Which facts of a section (0-based, in the section's order, easiest first) a placement
    quiz asks: up to `per_section`, evenly spaced and ending at the last, hardest one."""
    count = min(per_section, section_size)
    return sorted({round((section_size - 1) * (i + 1) / count) for i in range(count)})


def next_placement_item(quiz: Sequence[Mapping[str, str]],
                        answered: Iterable[str]) -> Mapping[str, str] | None:
    """The quiz's first item whose question has no answer yet; None when it is finished."""
    done = set(answered)
    return next((item for item in quiz if item["question_id"] not in done), None)


def passed_sections(quiz: Sequence[Mapping[str, str]],
                    answers: Iterable[tuple[str, bool, int]]) -> list[str]:
    """The sections of a placement quiz passed: every sampled fact's first answer right and
    fluent (within PLACEMENT_FLUENT_MS). `answers` is (question_id, is_correct, ms) in the
    order given; sections come back in quiz order."""
    first_try: dict[str, tuple[bool, int]] = {}
    for question_id, correct, ms in answers:
        first_try.setdefault(question_id, (correct, ms))
    by_section: dict[str, list[bool]] = {}
    for item in quiz:
        result = first_try.get(item["question_id"])
        passed = result is not None and result[0] and result[1] <= PLACEMENT_FLUENT_MS
        by_section.setdefault(item["section_id"], []).append(passed)
    return [section for section, results in by_section.items() if all(results)]


# ---- time --------------------------------------------------------------------------------

def paused_seconds(paused_at: dt.datetime, now: dt.datetime) -> int:
    """Whole seconds a pause lasted (never negative, whatever the clocks did)."""
    return max(0, int((now - paused_at).total_seconds()))


def active_seconds(start: dt.datetime, end: dt.datetime, paused_duration: int,
                   paused_since: dt.datetime | None, now: dt.datetime) -> int:
    """Seconds a session was active: from start to its end (or now), less its finished
    pauses (`paused_duration`, s) and the pause still running since `paused_since`."""
    active = (end - start).total_seconds() - paused_duration
    if paused_since is not None:
        active -= (now - paused_since).total_seconds()
    return max(0, int(active))


# Time between two answers of a session counts as practice (reading the feedback, the hint,
# the explanation, the next question) up to this much; a longer gap is a break.
IDLE_CAP_MS = 60_000


def practice_ms(answers: Iterable[tuple[object, dt.datetime, int]]) -> int:
    """Time spent practising, from a day's answers (session, answered at, response time ms):
    each answer counts the time since the previous answer of its session, at most IDLE_CAP_MS,
    and never less than its own response time; a session's first answer counts its response
    time. So it is never less than the time spent answering, and a pause or an abandoned tab
    adds at most a minute."""
    total = 0
    last: dict[object, dt.datetime] = {}
    for session, at, response_ms in sorted(answers, key=lambda a: (str(a[0]), a[1])):
        previous = last.get(session)
        gap = min(IDLE_CAP_MS, int((at - previous).total_seconds() * 1000)) if previous else 0
        total += max(response_ms, gap)
        last[session] = at
    return total


@dataclass(frozen=True)
class DailyGoal:
    """Minutes practised on one day (practice_ms) against the student's goal."""
    date: dt.date
    goal_minutes: int
    practised_ms: int
    answering_ms: int = 0

    @property
    def practised_minutes(self) -> float:
        return self.practised_ms / 60000

    @property
    def met(self) -> bool:
        return self.goal_minutes > 0 and self.practised_minutes >= self.goal_minutes

    def as_json(self) -> dict[str, Any]:
        minutes = self.practised_minutes
        return {"date": self.date.isoformat(), "goal_minutes": self.goal_minutes,
                "practised_minutes": round(minutes, 1), "met": self.met,
                "remaining_minutes": round(max(0.0, self.goal_minutes - minutes), 1),
                "answering_minutes": round(self.answering_ms / 60000, 1)}
