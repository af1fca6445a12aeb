-- Step 2: one row per (user, fact) of the batch, holding its state after the batch's last
-- attempt at it. mastery and fluency_level are left to the calculate_mastery trigger. A new
-- row's id is a time-ordered UUID from the writer (persistence/ids.py); an existing row keeps its id.
INSERT INTO question_progress (
    id, user_id, question_id, total_attempts, correct_attempts, incorrect_attempts,
    total_response_time, average_response_time, best_response_time, last_response_time,
    first_attempt_date, last_attempt_date, current_streak, best_streak, recent_attempts,
    next_review_date, review_interval, ease_factor)
SELECT v.id, v.user_id, v.question_id, v.total_attempts, v.correct_attempts,
       v.incorrect_attempts, v.total_response_time, v.average_response_time,
       v.best_response_time, v.last_response_time, v.first_attempt_date, v.last_attempt_date,
       v.current_streak, v.best_streak, v.recent_attempts::jsonb, v.next_review_date,
       v.review_interval, v.ease_factor
FROM unnest(
    $1::uuid[], $2::uuid[], $3::uuid[], $4::text::int[], $5::text::int[],
    $6::text::int[], $7::text::bigint[], $8::text::int[], $9::text::int[], $10::text::int[],
    $11::timestamp[], $12::timestamp[], $13::text::int[], $14::text::int[],
    $15::text[], $16::date[], $17::text::int[], $18::text::numeric[])
    AS v(id, user_id, question_id, total_attempts, correct_attempts, incorrect_attempts,
         total_response_time, average_response_time, best_response_time, last_response_time,
         first_attempt_date, last_attempt_date, current_streak, best_streak, recent_attempts,
         next_review_date, review_interval, ease_factor)
ON CONFLICT (question_id, user_id) DO UPDATE SET
    total_attempts = EXCLUDED.total_attempts,
    correct_attempts = EXCLUDED.correct_attempts,
    incorrect_attempts = EXCLUDED.incorrect_attempts,
    total_response_time = EXCLUDED.total_response_time,
    average_response_time = EXCLUDED.average_response_time,
    best_response_time = EXCLUDED.best_response_time,
    last_response_time = EXCLUDED.last_response_time,
    first_attempt_date = EXCLUDED.first_attempt_date,
    last_attempt_date = EXCLUDED.last_attempt_date,
    current_streak = EXCLUDED.current_streak,
    best_streak = EXCLUDED.best_streak,
    recent_attempts = EXCLUDED.recent_attempts,
    next_review_date = EXCLUDED.next_review_date,
    review_interval = EXCLUDED.review_interval,
    ease_factor = EXCLUDED.ease_factor
