from rooms.scoring import score_answer, speed_points, streak_bonus


def test_speed_points_span_500_to_1000():
    assert speed_points(0, 10_000) == 1000
    assert speed_points(10_000, 10_000) == 500
    assert speed_points(5_000, 10_000) == 750
    assert speed_points(20_000, 10_000) == 500  # never below the limit's points


def test_speed_points_round_half_up():
    # 1000 × (1 − (1/4000)/2) = 999.875 → 1000; 1000 × (1 − (3/2000)/2) = 999.25 → 999
    assert speed_points(1, 4000) == 1000
    assert speed_points(3, 2000) == 999
    # exactly .5: 1000 × (1 − (1/1000)/2) = 999.5 → 1000 (half-up, not banker's 1000/999.5)
    assert speed_points(1, 1000) == 1000
    assert speed_points(3, 1000) == 999  # 998.5 → 999 (banker's rounding would give 998)


def test_streak_bonus_grows_by_100_and_caps_at_500():
    assert [streak_bonus(s) for s in range(0, 9)] == [0, 0, 100, 200, 300, 400, 500, 500, 500]


def test_wrong_answer_scores_zero_and_resets_streak():
    scored = score_answer(is_correct=False, response_time_ms=10, time_limit_ms=1000, streak_before=4)
    assert (scored.points, scored.streak) == (0, 0)


def test_correct_answer_adds_streak_bonus():
    scored = score_answer(is_correct=True, response_time_ms=0, time_limit_ms=1000, streak_before=2)
    assert (scored.points, scored.streak) == (1200, 3)
