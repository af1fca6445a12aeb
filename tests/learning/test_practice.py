"""The decisions of solo practice (learning/practice.py), without a database."""

from __future__ import annotations

import datetime as dt

import pytest

from learning.practice import (
    MAX_RESPONSE_TIME_MS,
    PLACEMENT_FLUENT_MS,
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
    placement_positions,
    practice_ms,
)

T0 = dt.datetime(2026, 3, 2, 9, 0)


def _code(call, *args) -> str:
    with pytest.raises(PracticeError) as error:
        call(*args)
    return error.value.code


def test_modes_and_who_may_start_where():
    for mode in ("practice", "review", "placement"):
        check_mode(mode)
        check_may_start(mode, True)
    assert _code(check_mode, "cram") == "invalid_mode"
    assert _code(check_may_start, "practice", None) == "track_not_found"
    assert _code(check_may_start, "placement", None) == "track_not_found"
    assert _code(check_may_start, "practice", False) == "track_locked"
    assert _code(check_may_start, "review", False) == "track_locked"
    check_may_start("placement", False)  # placement is how a student shows they know it


def test_only_an_active_session_asks_and_only_a_paused_one_resumes():
    check_active("active")
    assert _code(check_active, "paused") == "session_paused"
    assert _code(check_active, "completed") == "session_completed"
    check_paused("paused")
    assert _code(check_paused, "active") == "session_not_paused"


@pytest.mark.parametrize("ms", [0, 1, 2500, MAX_RESPONSE_TIME_MS])
def test_response_times_in_range(ms):
    assert check_response_time(ms) == ms


@pytest.mark.parametrize("ms", [-1, MAX_RESPONSE_TIME_MS + 1, 2.5, "900", None, True])
def test_response_times_out_of_range_or_not_integers(ms):
    assert _code(check_response_time, ms) == "invalid_response_time"


def test_a_placement_question_counts_its_first_answer_only():
    check_first_placement_answer(None, "a1")
    check_first_placement_answer("a1", "a1")  # the same attempt retried
    assert _code(check_first_placement_answer, "a1", "a2") == "already_answered"


@pytest.mark.parametrize(("size", "positions"), [
    (1, [0]), (2, [0, 1]), (3, [1, 2]), (4, [1, 2, 3]), (10, [3, 6, 9]), (13, [4, 8, 12])])
def test_placement_samples_evenly_ending_at_the_hardest_fact(size, positions):
    assert placement_positions(size) == positions
    assert placement_positions(size, per_section=1) == [size - 1]


QUIZ = [{"question_id": "q1", "section_id": "s1"}, {"question_id": "q2", "section_id": "s1"},
        {"question_id": "q3", "section_id": "s2"}, {"question_id": "q4", "section_id": "s3"}]


def test_placement_asks_in_order_until_every_item_has_an_answer():
    assert next_placement_item(QUIZ, []) == QUIZ[0]
    assert next_placement_item(QUIZ, ["q1", "q3"]) == QUIZ[1]
    assert next_placement_item(QUIZ, ["q1", "q2", "q3", "q4"]) is None


def test_a_section_passes_when_every_first_answer_is_right_and_fluent():
    answers = [("q1", True, 1200), ("q2", True, PLACEMENT_FLUENT_MS),  # s1: passed
               ("q3", True, PLACEMENT_FLUENT_MS + 1),                    # s2: right but slow
               ("q4", False, 900), ("q4", True, 800)]                   # s3: the first try counts
    assert passed_sections(QUIZ, answers) == ["s1"]
    assert passed_sections(QUIZ, [("q1", True, 100)]) == []  # q2 unanswered: s1 not passed


def test_active_time_leaves_out_pauses_finished_and_running():
    end = T0 + dt.timedelta(minutes=10)
    assert active_seconds(T0, end, 0, None, end) == 600
    assert active_seconds(T0, end, 120, None, end) == 480
    paused_since = T0 + dt.timedelta(minutes=8)
    assert active_seconds(T0, end, 120, paused_since, end) == 360
    assert active_seconds(T0, T0, 50, None, T0) == 0
    assert paused_seconds(T0, T0 + dt.timedelta(seconds=90.7)) == 90
    assert paused_seconds(T0, T0 - dt.timedelta(seconds=5)) == 0


def test_the_daily_goal():
    day = T0.date()
    half = DailyGoal(day, 15, 7 * 60000 + 30000, 3 * 60000)
    assert half.as_json() == {"date": "2026-03-02", "goal_minutes": 15, "practised_minutes": 7.5,
                              "met": False, "remaining_minutes": 7.5, "answering_minutes": 3.0}
    assert DailyGoal(day, 15, 15 * 60000).met
    assert DailyGoal(day, 15, 20 * 60000).as_json()["remaining_minutes"] == 0.0
    assert not DailyGoal(day, 0, 60000).met  # no goal set is never "met"


def test_practice_time_counts_the_time_between_answers_up_to_a_minute():
    at = [T0 + dt.timedelta(seconds=s) for s in (0, 8, 20, 200, 203)]
    answers = [("a", at[0], 2000), ("a", at[1], 3000), ("a", at[2], 2500),
               ("a", at[3], 4000),   # after a 3-minute break: a minute counts
               ("a", at[4], 70000),  # a slow answer counts its own time
               ("b", at[1], 1500)]   # another session (a live game) starts its own count
    assert practice_ms(answers) == 2000 + 8000 + 12000 + 60000 + 70000 + 1500
    # Never less than the time spent answering.
    assert practice_ms(answers) >= sum(ms for *_, ms in answers)
    assert practice_ms([]) == 0
