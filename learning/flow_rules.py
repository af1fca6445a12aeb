"""The rules of the answer flow, as pure functions over in-memory states (docs/answer-flow.md).

The group-commit writer loads the current rows of a batch into these states, applies the
batch's attempts one by one with `apply_attempt`, and writes the final states back; so a
batch ends exactly where applying its attempts one at a time would have. Nothing here does
I/O, which is what lets tests/learning/test_flow_rules.py pin each rule down.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

FLUENCY_LEVELS = ("not_started", "learning", "accuracy", "fluency_6s", "fluency_3s_2s", "mastered")
MASTERED = "mastered"
RECENT_ATTEMPTS = 5
DEFAULT_EASE = Decimal("2.50")
MIN_EASE = Decimal("1.30")
MAX_EASE = Decimal("3.00")
MAX_INTERVAL_DAYS = 365
DEFAULT_DAILY_GOAL_MINUTES = 15
XP_PER_LEVEL = 500
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
_MASTERY_LEVELS = (  # (mastery, fluency_level), the seed's trigger, highest first
    (Decimal("1.00"), "mastered"), (Decimal("0.80"), "fluency_3s_2s"),
    (Decimal("0.60"), "fluency_6s"), (Decimal("0.40"), "accuracy"),
    (Decimal("0.20"), "learning"), (Decimal("0.10"), "not_started"),
)


class Attempt(Protocol):
    """What the rules read of one attempt (persistence's AttemptIn has these and more)."""

    @property
    def question_id(self) -> uuid.UUID: ...
    @property
    def user_answer(self) -> Decimal: ...
    @property
    def correct_answer(self) -> Decimal: ...
    @property
    def response_time_ms(self) -> int: ...
    @property
    def hints_used(self) -> int: ...
    @property
    def answered_at(self) -> dt.datetime: ...


# ---- small exact arithmetic -------------------------------------------------------------

def rounded_average(total: int, count: int) -> int | None:
    """total / count rounded half up to an integer; None when count is 0."""
    if count == 0:
        return None
    return (2 * total + count) // (2 * count)


def percentage(part: int, whole: int) -> Decimal | None:
    """part / whole × 100 rounded half up to 2 places (DECIMAL(5,2)); None when whole is 0."""
    if whole == 0:
        return None
    return (Decimal(part * 100) / Decimal(whole)).quantize(CENT, ROUND_HALF_UP)


def percentage_text(part: int, whole: int) -> str | None:
    """str(percentage(part, whole)) for 0 ≤ part, 0 ≤ whole, in integer arithmetic: the
    writer sends it as text, so it need not build and quantize a Decimal."""
    if whole == 0:
        return None
    hundredths = (20000 * part + whole) // (2 * whole)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


# ---- the mastery trigger, mirrored --------------------------------------------------------

def mastery_for(total: int, correct: int, average_ms: int | None) -> tuple[Decimal, str]:
    """calculate_mastery() of the seed, evaluated exactly as PostgreSQL does.

    The ratio is a float division and a NULL average makes every "< n ms" test unknown,
    i.e. false, so only the accuracy branches remain.
    """
    if correct == 0:
        return ZERO, "not_started"
    ratio = correct / total
    if average_ms is not None and average_ms < 2000 and ratio > 0.95:
        index = 0
    elif average_ms is not None and average_ms < 3000 and ratio > 0.90:
        index = 1
    elif average_ms is not None and average_ms < 6000 and ratio > 0.85:
        index = 2
    elif ratio > 0.75:
        index = 3
    elif ratio > 0.50:
        index = 4
    else:
        index = 5
    return _MASTERY_LEVELS[index]


# ---- per-attempt scores -------------------------------------------------------------------

# Every value fluency_score can take, by hundredths (10 → Decimal("0.10") … 100 → "1.00").
_FLUENCY_SCORES = {h: Decimal(h).scaleb(-2) for h in range(10, 101)}


def fluency_score(is_correct: bool, response_time_ms: int) -> Decimal:
    """0.00 when wrong; otherwise 2000 ms / response time rounded half up to hundredths,
    clamped to [0.10, 1.00]. In integers: it runs once per stored attempt, and a Decimal
    division and quantize cost more than the rest of the attempt's score keeping."""
    if not is_correct:
        return ZERO
    if response_time_ms <= 2000:
        return _FLUENCY_SCORES[100]
    hundredths = (400000 + response_time_ms) // (2 * response_time_ms)   # 200000 / rt, half up
    return _FLUENCY_SCORES[max(hundredths, 10)]


def sm2_grade(is_correct: bool, response_time_ms: int, hints_used: int) -> int:
    """The SM-2 quality of response (0–5) of one attempt.

    Correct answers grade 3–5 and wrong ones 0–2, so "grade ≥ 3" means "correct":
      5  correct, no hint, under 3 s (a fluent recall)
      4  correct, no hint, 3 s to under 6 s
      3  correct but slow (6 s or more) or helped by a hint
      2  wrong, no hint, under 6 s (a slip)
      1  wrong otherwise, under 20 s
      0  wrong after 20 s or more (a blackout)
    """
    if is_correct:
        if hints_used:
            return 3
        if response_time_ms < 3000:
            return 5
        return 4 if response_time_ms < 6000 else 3
    if response_time_ms >= 20000:
        return 0
    return 2 if hints_used == 0 and response_time_ms < 6000 else 1


# SM-2's ease change for each grade: 0.1 − q × (0.08 + q × 0.02) with q = 5 − grade.
_EASE_CHANGE = tuple(Decimal("0.10") - (5 - g) * (Decimal("0.08") + (5 - g) * Decimal("0.02"))
                     for g in range(6))


def sm2_step(grade: int, repetitions: int, interval: int | None,
             ease: Decimal) -> tuple[int, Decimal]:
    """One SM-2 review: the next interval (days) and ease factor.

    `repetitions` is the number of consecutive correct answers before this one (the fact's
    current_streak). The interval uses the ease factor from before this review, as in SM-2.
    """
    if grade >= 3:
        if repetitions == 0:
            new_interval = 1
        elif repetitions == 1 or interval is None:
            new_interval = 6
        else:
            new_interval = int((interval * ease).quantize(Decimal(1), ROUND_HALF_UP))
        new_interval = min(new_interval, MAX_INTERVAL_DAYS)
    else:
        new_interval = 1
    return new_interval, min(max(ease + _EASE_CHANGE[grade], MIN_EASE), MAX_EASE)


def experience_for(is_correct: bool, response_time_ms: int, hints_used: int,
                   became_mastered: bool) -> int:
    """10 per correct answer, +5 if under 3 s without a hint, 2 for a wrong one (effort),
    +25 when the answer raises the fact to mastered."""
    xp = 2
    if is_correct:
        xp = 15 if response_time_ms < 3000 and hints_used == 0 else 10
    return xp + (25 if became_mastered else 0)


def level_for(experience_points: int) -> int:
    return 1 + experience_points // XP_PER_LEVEL


# ---- states ------------------------------------------------------------------------------

@dataclass(slots=True)
class FactState:
    """One question_progress row (a user's progress on one fact)."""
    total_attempts: int = 0
    correct_attempts: int = 0
    incorrect_attempts: int = 0
    total_response_time: int = 0
    best_response_time: int | None = None
    last_response_time: int | None = None
    first_attempt_date: dt.datetime | None = None
    last_attempt_date: dt.datetime | None = None
    mastery: Decimal = ZERO
    fluency_level: str = "not_started"
    current_streak: int = 0
    best_streak: int = 0
    recent_attempts: list[dict[str, Any]] = field(default_factory=list)
    next_review_date: dt.date | None = None
    review_interval: int | None = None
    ease_factor: Decimal = DEFAULT_EASE

    @property
    def average_response_time(self) -> int | None:
        return rounded_average(self.total_response_time, self.total_attempts)


@dataclass(slots=True)
class OperationTotals:
    attempts: int = 0
    correct: int = 0
    total_response_time: int = 0

    def as_json(self) -> dict[str, Any]:
        accuracy = percentage(self.correct, self.attempts)
        return {"attempts": self.attempts, "correct": self.correct,
                "total_response_time": self.total_response_time,
                "accuracy": float(accuracy) if accuracy is not None else None,
                "average_response_time": rounded_average(self.total_response_time, self.attempts)}


@dataclass(slots=True)
class UserState:
    """One user_statistics row, plus the user's daily goal."""
    daily_goal_minutes: int | None = DEFAULT_DAILY_GOAL_MINUTES
    total_questions_answered: int = 0
    total_correct_answers: int = 0
    total_response_time: int = 0
    last_practice_date: dt.date | None = None
    current_streak: int = 0
    longest_streak: int = 0
    daily_practice_ms: int = 0
    weekly_practice_ms: int = 0
    monthly_practice_ms: int = 0
    facts_by_fluency_level: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(FLUENCY_LEVELS, 0))
    performance_by_operation: dict[str, OperationTotals] = field(default_factory=dict)
    achievements_unlocked: list[str] = field(default_factory=list)
    experience_points: int = 0

    @property
    def total_mastered_facts(self) -> int:
        return self.facts_by_fluency_level.get(MASTERED, 0)


@dataclass(slots=True)
class DayState:
    """One daily_practice_summaries row (a user's UTC day)."""
    questions_answered: int = 0
    correct_answers: int = 0
    total_response_time: int = 0
    facts_reviewed: int = 0
    new_facts_learned: int = 0
    facts_mastered: int = 0
    sessions: int = 0
    time_by_mode: dict[str, int] = field(default_factory=dict)
    current_streak: int = 0

    def daily_goal_met(self, goal_minutes: int | None) -> bool:
        goal = DEFAULT_DAILY_GOAL_MINUTES if goal_minutes is None else goal_minutes
        return self.total_response_time // 60000 >= goal


@dataclass(slots=True)
class SessionState:
    """The answer counters of one practice_sessions row."""
    user_id: uuid.UUID
    mode: str
    questions_answered: int = 0
    correct_answers: int = 0
    total_response_time: int = 0
    mastery_gained: Decimal = ZERO
    new_mastered_facts: list[str] = field(default_factory=list)


# ---- achievements ------------------------------------------------------------------------

# (name, condition on the user's state after an attempt), in check order
ACHIEVEMENTS: tuple[tuple[str, Callable[[UserState], bool]], ...] = (
    ("first_answer", lambda u: u.total_questions_answered >= 1),
    ("answers_100", lambda u: u.total_questions_answered >= 100),
    ("answers_1000", lambda u: u.total_questions_answered >= 1000),
    ("correct_100", lambda u: u.total_correct_answers >= 100),
    ("day_streak_3", lambda u: u.current_streak >= 3),
    ("day_streak_7", lambda u: u.current_streak >= 7),
    ("day_streak_30", lambda u: u.current_streak >= 30),
    ("first_mastered", lambda u: u.total_mastered_facts >= 1),
    ("mastered_10", lambda u: u.total_mastered_facts >= 10),
    ("mastered_100", lambda u: u.total_mastered_facts >= 100),
)


def _unlock_achievements(user: UserState) -> None:
    unlocked = user.achievements_unlocked
    if len(unlocked) == len(ACHIEVEMENTS):
        return
    for name, condition in ACHIEVEMENTS:
        if name not in unlocked and condition(user):
            unlocked.append(name)


# ---- applying one attempt ----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Applied:
    """What one attempt did, for its answer_attempts row, its event and its outcome."""
    is_correct: bool
    attempt_number: int
    fluency_score: Decimal
    mastery: Decimal
    fluency_level: str
    experience: int


def _week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _apply_to_fact(fact: FactState, a: Attempt, is_correct: bool) -> None:
    rt = a.response_time_ms
    grade = sm2_grade(is_correct, rt, a.hints_used)
    interval, ease = sm2_step(grade, fact.current_streak, fact.review_interval, fact.ease_factor)
    fact.review_interval, fact.ease_factor = interval, ease
    fact.next_review_date = a.answered_at.date() + dt.timedelta(days=interval)
    fact.total_attempts += 1
    fact.total_response_time += rt
    if is_correct:
        fact.correct_attempts += 1
        fact.current_streak += 1
        fact.best_streak = max(fact.best_streak, fact.current_streak)
        if fact.best_response_time is None or rt < fact.best_response_time:
            fact.best_response_time = rt
    else:
        fact.incorrect_attempts += 1
        fact.current_streak = 0
    fact.last_response_time = rt
    if fact.first_attempt_date is None:
        fact.first_attempt_date = a.answered_at
    fact.last_attempt_date = a.answered_at
    recent = fact.recent_attempts
    recent.append({"is_correct": is_correct, "response_time": rt,
                   "timestamp": a.answered_at.isoformat()})
    if len(recent) > RECENT_ATTEMPTS:
        del recent[:-RECENT_ATTEMPTS]
    fact.mastery, fact.fluency_level = mastery_for(
        fact.total_attempts, fact.correct_attempts, fact.average_response_time)


def _apply_to_user(user: UserState, a: Attempt, is_correct: bool, operation: str) -> None:
    rt = a.response_time_ms
    user.total_questions_answered += 1
    user.total_correct_answers += is_correct
    user.total_response_time += rt
    totals = user.performance_by_operation.get(operation)
    if totals is None:
        totals = user.performance_by_operation[operation] = OperationTotals()
    totals.attempts += 1
    totals.correct += is_correct
    totals.total_response_time += rt
    day, last = a.answered_at.date(), user.last_practice_date
    if last is None or day > last:
        if last is not None and day == last + dt.timedelta(days=1):
            user.current_streak += 1
        else:
            user.current_streak = 1
        user.longest_streak = max(user.longest_streak, user.current_streak)
        same_week = last is not None and _week_start(day) == _week_start(last)
        same_month = last is not None and (day.year, day.month) == (last.year, last.month)
        user.daily_practice_ms = rt
        user.weekly_practice_ms = user.weekly_practice_ms + rt if same_week else rt
        user.monthly_practice_ms = user.monthly_practice_ms + rt if same_month else rt
        user.last_practice_date = day
    elif day == last:
        user.daily_practice_ms += rt
        user.weekly_practice_ms += rt
        user.monthly_practice_ms += rt
    # An attempt dated before last_practice_date counts in the totals and its own day only.


def apply_attempt(a: Attempt, *, operation: str, fact: FactState, user: UserState,
                  day: DayState, session: SessionState) -> Applied:
    """Applies one attempt to the states of its fact, user, day and session, in place."""
    is_correct = a.user_answer == a.correct_answer
    first_ever = fact.total_attempts == 0
    last = fact.last_attempt_date
    first_today = first_ever or last is None or last.date() != a.answered_at.date()
    level_before, mastery_before = fact.fluency_level, fact.mastery
    first_in_session = session.questions_answered == 0

    _apply_to_fact(fact, a, is_correct)
    became_mastered = fact.fluency_level == MASTERED and (first_ever or level_before != MASTERED)

    _apply_to_user(user, a, is_correct, operation)
    levels = user.facts_by_fluency_level
    if not first_ever:
        levels[level_before] -= 1
    levels[fact.fluency_level] = levels.get(fact.fluency_level, 0) + 1
    experience = experience_for(is_correct, a.response_time_ms, a.hints_used, became_mastered)
    user.experience_points += experience
    _unlock_achievements(user)

    rt = a.response_time_ms
    day.questions_answered += 1
    day.correct_answers += is_correct
    day.total_response_time += rt
    day.facts_reviewed += first_today
    day.new_facts_learned += first_ever
    day.facts_mastered += became_mastered
    day.sessions += first_in_session
    day.time_by_mode[session.mode] = day.time_by_mode.get(session.mode, 0) + rt
    day.current_streak = user.current_streak

    session.questions_answered += 1
    session.correct_answers += is_correct
    session.total_response_time += rt
    session.mastery_gained += fact.mastery - mastery_before
    if became_mastered and str(a.question_id) not in session.new_mastered_facts:
        session.new_mastered_facts.append(str(a.question_id))

    return Applied(is_correct=is_correct, attempt_number=fact.total_attempts,
                   fluency_score=fluency_score(is_correct, rt), mastery=fact.mastery,
                   fluency_level=fact.fluency_level, experience=experience)
