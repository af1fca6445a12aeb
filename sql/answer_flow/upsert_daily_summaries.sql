-- Step 4: one row per (user, UTC day) of the batch, holding the day after the batch.
INSERT INTO daily_practice_summaries (
    user_id, date, total_minutes, sessions, questions_answered, correct_answers, accuracy,
    average_response_time, facts_reviewed, new_facts_learned, facts_mastered, time_by_mode,
    daily_goal_met, current_streak, total_response_time)
SELECT v.user_id, v.date, v.total_minutes, v.sessions, v.questions_answered,
       v.correct_answers, v.accuracy, v.average_response_time, v.facts_reviewed,
       v.new_facts_learned, v.facts_mastered, v.time_by_mode::jsonb, v.daily_goal_met,
       v.current_streak, v.total_response_time
FROM unnest(
    $1::uuid[], $2::date[], $3::text::int[], $4::text::int[], $5::text::int[], $6::text::int[], $7::text::numeric[],
    $8::text::int[], $9::text::int[], $10::text::int[], $11::text::int[], $12::text[], $13::text::bool[], $14::text::int[],
    $15::text::bigint[])
    AS v(user_id, date, total_minutes, sessions, questions_answered, correct_answers,
         accuracy, average_response_time, facts_reviewed, new_facts_learned, facts_mastered,
         time_by_mode, daily_goal_met, current_streak, total_response_time)
ON CONFLICT (user_id, date) DO UPDATE SET
    total_minutes = EXCLUDED.total_minutes,
    sessions = EXCLUDED.sessions,
    questions_answered = EXCLUDED.questions_answered,
    correct_answers = EXCLUDED.correct_answers,
    accuracy = EXCLUDED.accuracy,
    average_response_time = EXCLUDED.average_response_time,
    facts_reviewed = EXCLUDED.facts_reviewed,
    new_facts_learned = EXCLUDED.new_facts_learned,
    facts_mastered = EXCLUDED.facts_mastered,
    time_by_mode = EXCLUDED.time_by_mode,
    daily_goal_met = EXCLUDED.daily_goal_met,
    current_streak = EXCLUDED.current_streak,
    total_response_time = EXCLUDED.total_response_time
