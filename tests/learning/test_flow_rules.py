"""The pure rules of the answer flow (learning/flow_rules.py), one rule at a time."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal

import pytest

from learning.flow_rules import (
    DayState,
    FactState,
    SessionState,
    UserState,
    apply_attempt,
    fluency_score,
    mastery_for,
    percentage,
    percentage_text,
    rounded_average,
    sm2_grade,
    sm2_step,
)
from persistence.answer_flow import AttemptIn

USER, SESSION, QUESTION = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
T0 = dt.datetime(2026, 3, 2, 9, 0)  # a Monday


def attempt(correct: bool = True, rt: int = 1500, at: dt.datetime = T0, hints: int = 0,
            question: uuid.UUID = QUESTION) -> AttemptIn:
    return AttemptIn(attempt_id=uuid.uuid4(), user_id=USER, session_id=SESSION,
                     question_id=question, raw_input="12",
                     user_answer=Decimal(12) if correct else Decimal(13),
                     correct_answer=Decimal(12), response_time_ms=rt, answered_at=at,
                     hints_used=hints)


class World:
    def __init__(self) -> None:
        self.facts: dict[uuid.UUID, FactState] = {}
        self.user = UserState(daily_goal_minutes=1)
        self.days: dict[dt.date, DayState] = {}
        self.session = SessionState(user_id=USER, mode="practice")

    def apply(self, a: AttemptIn):
        fact = self.facts.setdefault(a.question_id, FactState())
        day = self.days.setdefault(a.answered_at.date(), DayState())
        return apply_attempt(a, operation="×", fact=fact, user=self.user, day=day,
                             session=self.session)


def test_rounded_average_and_percentage_round_half_up():
    assert rounded_average(3, 2) == 2          # 1.5 → 2
    assert rounded_average(5, 2) == 3          # 2.5 → 3
    assert rounded_average(4, 3) == 1          # 1.33 → 1
    assert rounded_average(0, 0) is None
    assert percentage(2, 3) == Decimal("66.67")
    assert percentage(1, 8) == Decimal("12.50")
    assert percentage(1, 200) == Decimal("0.50")
    assert percentage(0, 0) is None


def test_fluency_score():
    assert fluency_score(False, 500) == Decimal("0.00")
    assert fluency_score(True, 0) == Decimal("1.00")
    assert fluency_score(True, 2000) == Decimal("1.00")
    assert fluency_score(True, 3000) == Decimal("0.67")
    assert fluency_score(True, 8000) == Decimal("0.25")
    assert fluency_score(True, 60000) == Decimal("0.10")


def test_fluency_score_in_integers_equals_the_decimal_definition():
    # fluency_score computes in integers; this is its definition in Decimal, for every
    # response time up to the longest a question allows and beyond.
    def reference(rt: int) -> Decimal:
        if rt <= 2000:
            return Decimal("1.00")
        return max((Decimal(2000) / Decimal(rt)).quantize(Decimal("0.01"), ROUND_HALF_UP),
                   Decimal("0.10"))
    for rt in range(0, 130_001):
        score = fluency_score(True, rt)
        assert score == reference(rt) and score.as_tuple().exponent == -2, rt


@pytest.mark.parametrize(("correct", "rt", "hints", "grade"), [
    (True, 2999, 0, 5), (True, 3000, 0, 4), (True, 5999, 0, 4), (True, 6000, 0, 3),
    (True, 1000, 1, 3), (False, 5999, 0, 2), (False, 6000, 0, 1), (False, 1000, 2, 1),
    (False, 19999, 0, 1), (False, 20000, 0, 0),
])
def test_sm2_grade(correct, rt, hints, grade):
    assert sm2_grade(correct, rt, hints) == grade


def test_sm2_intervals_and_ease():
    assert sm2_step(5, 0, None, Decimal("2.50")) == (1, Decimal("2.60"))
    assert sm2_step(4, 1, 1, Decimal("2.50")) == (6, Decimal("2.50"))
    assert sm2_step(3, 2, 6, Decimal("2.50")) == (15, Decimal("2.36"))   # 6 × 2.50
    assert sm2_step(4, 3, 15, Decimal("2.36")) == (35, Decimal("2.36"))  # 35.4 → 35
    assert sm2_step(2, 7, 35, Decimal("2.36")) == (1, Decimal("2.04"))   # a lapse
    assert sm2_step(0, 0, 1, Decimal("1.50")) == (1, Decimal("1.30"))    # floor 1.30
    assert sm2_step(5, 5, 10, Decimal("2.95")) == (30, Decimal("3.00"))  # cap 3.00
    assert sm2_step(5, 9, 300, Decimal("3.00"))[0] == 365                # cap 365 days


@pytest.mark.parametrize("grade", range(6))
def test_sm2_ease_follows_the_formula_for_every_grade_and_ease(grade):
    q = 5 - grade
    for hundredths in range(130, 301):
        ease = Decimal(hundredths).scaleb(-2)
        expected = ease + Decimal("0.1") - q * (Decimal("0.08") + q * Decimal("0.02"))
        expected = min(max(expected, Decimal("1.30")), Decimal("3.00"))
        assert sm2_step(grade, 0, None, ease)[1] == expected


def test_sm2_repetitions_follow_the_correct_streak():
    world = World()
    intervals = []
    for correct in (True, True, True, False, True, True):
        world.apply(attempt(correct, rt=1000))
        intervals.append(world.facts[QUESTION].review_interval)
    # 1, 6, 6×2.6=16 (ease was 2.60 after the first answer, 2.70 after the second) ...
    assert intervals == [1, 6, 16, 1, 1, 6]
    fact = world.facts[QUESTION]
    assert fact.next_review_date == T0.date() + dt.timedelta(days=6)


def test_fact_counters_streaks_and_recent_five():
    world = World()
    pattern = [True, True, False, True, True, True, False, True]
    for i, correct in enumerate(pattern):
        world.apply(attempt(correct, rt=1000 + 100 * i, at=T0 + dt.timedelta(minutes=i)))
    fact = world.facts[QUESTION]
    assert (fact.total_attempts, fact.correct_attempts, fact.incorrect_attempts) == (8, 6, 2)
    assert (fact.current_streak, fact.best_streak) == (1, 3)
    assert fact.best_response_time == 1000
    assert fact.last_response_time == 1700
    assert fact.average_response_time == 1350      # (1000 + … + 1700) / 8
    assert fact.first_attempt_date == T0
    assert fact.last_attempt_date == T0 + dt.timedelta(minutes=7)
    assert [r["is_correct"] for r in fact.recent_attempts] == pattern[-5:]
    assert fact.recent_attempts[-1] == {"is_correct": True, "response_time": 1700,
                                        "timestamp": "2026-03-02T09:07:00"}


def test_mastery_mirror_uses_the_rounded_average():
    assert mastery_for(1, 1, 1999) == (Decimal("1.00"), "mastered")
    assert mastery_for(3, 3, 2000) == (Decimal("0.80"), "fluency_3s_2s")
    assert mastery_for(2, 1, 100) == (Decimal("0.10"), "not_started")
    assert mastery_for(4, 0, 100) == (Decimal("0.00"), "not_started")


def test_day_streaks_and_practice_periods():
    world = World()
    days = [0, 0, 1, 2, 4, 5, 6, 7, 40]   # 2026-03-02 is a Monday; day 7 is next Monday
    for i, d in enumerate(days):
        world.apply(attempt(rt=30000, at=T0 + dt.timedelta(days=d, minutes=i)))
    user = world.user
    assert (user.current_streak, user.longest_streak) == (1, 4)
    assert user.last_practice_date == (T0 + dt.timedelta(days=40)).date()
    assert user.daily_practice_ms == 30000
    assert user.weekly_practice_ms == 30000
    assert user.monthly_practice_ms == 30000       # April 11th: a new month
    assert user.total_response_time == 9 * 30000
    first_day = world.days[T0.date()]
    assert first_day.total_response_time == 60000 and first_day.daily_goal_met(1)
    assert not world.days[(T0 + dt.timedelta(days=1)).date()].daily_goal_met(1)
    assert world.days[(T0 + dt.timedelta(days=7)).date()].current_streak == 4


def test_weekly_and_monthly_accumulate_within_their_period():
    world = World()
    for d in (0, 1, 2):   # Monday to Wednesday, March
        world.apply(attempt(rt=1000, at=T0 + dt.timedelta(days=d)))
    assert (world.user.daily_practice_ms, world.user.weekly_practice_ms,
            world.user.monthly_practice_ms) == (1000, 3000, 3000)


def test_daily_summary_counts_new_reviewed_and_mastered_facts_and_sessions():
    world = World()
    other = uuid.uuid4()
    world.apply(attempt(rt=900))                                   # new fact, mastered at once
    world.apply(attempt(rt=900, at=T0 + dt.timedelta(minutes=1)))  # reviewed again: not new
    world.apply(attempt(False, question=other, at=T0 + dt.timedelta(minutes=2)))
    day = world.days[T0.date()]
    assert (day.questions_answered, day.correct_answers) == (3, 2)
    assert (day.new_facts_learned, day.facts_reviewed, day.facts_mastered) == (2, 2, 1)
    assert day.sessions == 1
    assert day.time_by_mode == {"practice": 900 + 900 + 1500}
    next_day = T0 + dt.timedelta(days=1)
    world.apply(attempt(False, rt=900, at=next_day))                # loses mastery
    world.apply(attempt(rt=900, at=next_day + dt.timedelta(minutes=1)))
    assert world.days[next_day.date()].facts_reviewed == 1
    assert world.days[next_day.date()].new_facts_learned == 0


def test_user_levels_mastered_count_experience_and_achievements():
    world = World()
    a = world.apply(attempt(rt=900))
    assert (a.mastery, a.fluency_level, a.attempt_number) == (Decimal("1.00"), "mastered", 1)
    assert a.experience == 15 + 25
    user = world.user
    assert user.total_mastered_facts == 1
    assert user.facts_by_fluency_level["mastered"] == 1
    assert user.achievements_unlocked == ["first_answer", "first_mastered"]
    b = world.apply(attempt(False, rt=900, at=T0 + dt.timedelta(minutes=1)))
    assert (b.fluency_level, b.experience, b.attempt_number) == ("not_started", 2, 2)
    assert user.total_mastered_facts == 0
    assert user.facts_by_fluency_level["not_started"] == 1
    assert sum(user.facts_by_fluency_level.values()) == 1
    assert user.experience_points == 42
    assert user.performance_by_operation["×"].as_json() == {
        "attempts": 2, "correct": 1, "total_response_time": 1800, "accuracy": 50.0,
        "average_response_time": 900}


def test_session_counters_mastery_gained_and_new_mastered_facts():
    world = World()
    world.apply(attempt(rt=900))
    world.apply(attempt(False, rt=900, at=T0 + dt.timedelta(minutes=1)))
    world.apply(attempt(rt=900, at=T0 + dt.timedelta(minutes=2)))
    session = world.session
    assert (session.questions_answered, session.correct_answers) == (3, 2)
    # 0 → 1.00 → 0.10 (1 of 2 correct) → 0.20 (2 of 3 correct): gained 0.20 in all.
    assert session.mastery_gained == Decimal("0.20")
    assert session.new_mastered_facts == [str(QUESTION)]


def test_percentage_text_is_the_decimal_percentage_as_text():
    assert percentage_text(1, 0) is None
    for whole in range(1, 160):
        for part in range(whole + 1):
            assert percentage_text(part, whole) == str(percentage(part, whole)), (part, whole)
    assert percentage_text(123456, 234567) == str(percentage(123456, 234567))
