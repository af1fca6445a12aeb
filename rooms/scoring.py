"""Scoring. The default mode ("speed") is the contract's: a correct answer earns
round(1000 × (1 − (response_time / time_limit) / 2)), 500..1000; a streak of consecutive
correct answers adds 100 × (streak − 1), at most 500. A wrong or missing answer earns 0 and
resets the streak.

"accuracy" (a room's `scoring`, or a student's accommodation, or an untimed student): a
correct answer earns the full 1000 whatever its time, plus the same streak bonus.
"""

from __future__ import annotations

from dataclasses import dataclass

BASE_POINTS = 1000
STREAK_STEP = 100
STREAK_BONUS_CAP = 500


@dataclass(frozen=True)
class Scored:
    points: int
    streak: int  # the streak after this answer


def speed_points(response_time_ms: int, time_limit_ms: int) -> int:
    fraction = min(max(response_time_ms, 0), time_limit_ms) / time_limit_ms
    # Python's round() is banker's rounding; the contract's round is half-up.
    return int(BASE_POINTS * (1 - fraction / 2) + 0.5)


def streak_bonus(streak: int) -> int:
    return min(STREAK_STEP * max(streak - 1, 0), STREAK_BONUS_CAP)


def score_answer(*, is_correct: bool, response_time_ms: int, time_limit_ms: int,
                 streak_before: int, accuracy: bool = False) -> Scored:
    if not is_correct:
        return Scored(points=0, streak=0)
    streak = streak_before + 1
    base = BASE_POINTS if accuracy else speed_points(response_time_ms, time_limit_ms)
    return Scored(points=base + streak_bonus(streak), streak=streak)
