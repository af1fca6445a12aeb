-- Step 3: each user's statistics after the batch (the rows exist: create_user_statistics.sql).
UPDATE user_statistics s SET
    total_practice_time = v.total_practice_time,
    daily_practice_time = v.daily_practice_time,
    weekly_practice_time = v.weekly_practice_time,
    monthly_practice_time = v.monthly_practice_time,
    current_streak = v.current_streak,
    longest_streak = v.longest_streak,
    total_questions_answered = v.total_questions_answered,
    total_correct_answers = v.total_correct_answers,
    overall_accuracy = v.overall_accuracy,
    average_response_time = v.average_response_time,
    total_mastered_facts = v.total_mastered_facts,
    facts_by_fluency_level = v.facts_by_fluency_level::jsonb,
    performance_by_operation = v.performance_by_operation::jsonb,
    achievements_unlocked = v.achievements::text[],
    current_level = v.current_level,
    experience_points = v.experience_points,
    total_response_time = v.total_response_time,
    last_practice_date = v.last_practice_date,
    daily_practice_ms = v.daily_practice_ms,
    weekly_practice_ms = v.weekly_practice_ms,
    monthly_practice_ms = v.monthly_practice_ms,
    updated_at = v.updated_at
FROM unnest(
    $1::uuid[], $2::text::int[], $3::text::int[], $4::text::int[], $5::text::int[], $6::text::int[], $7::text::int[], $8::text::int[],
    $9::text::int[], $10::text::numeric[], $11::text::int[], $12::text::int[], $13::text[], $14::text[], $15::text[],
    $16::text::int[], $17::text::int[], $18::text::bigint[], $19::date[], $20::text::bigint[], $21::text::bigint[],
    $22::text::bigint[], $23::timestamp[])
    AS v(user_id, total_practice_time, daily_practice_time, weekly_practice_time,
         monthly_practice_time, current_streak, longest_streak, total_questions_answered,
         total_correct_answers, overall_accuracy, average_response_time, total_mastered_facts,
         facts_by_fluency_level, performance_by_operation, achievements, current_level,
         experience_points, total_response_time, last_practice_date, daily_practice_ms,
         weekly_practice_ms, monthly_practice_ms, updated_at)
WHERE s.user_id = v.user_id
