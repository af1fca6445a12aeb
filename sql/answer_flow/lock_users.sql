-- Step 0a: lock the batch's users, in the order given (the writer sorts them by user_id).
-- Every writer of the flow's tables takes these row locks first, so two batches (in one
-- process or several) never interleave one user, and never deadlock. Returns each user's
-- statistics and daily goal. LATERAL: one primary-key probe and lock per user, in order.
SELECT s.user_id, s.total_questions_answered, s.total_correct_answers, s.total_response_time,
       s.last_practice_date, s.current_streak, s.longest_streak,
       s.daily_practice_ms, s.weekly_practice_ms, s.monthly_practice_ms,
       s.facts_by_fluency_level::text AS facts_by_fluency_level,
       s.performance_by_operation::text AS performance_by_operation,
       s.achievements_unlocked, s.experience_points, u.daily_goal_minutes
FROM unnest($1::text::uuid[]) WITH ORDINALITY AS k(user_id, position)
CROSS JOIN LATERAL (
    SELECT * FROM user_statistics s WHERE s.user_id = k.user_id FOR UPDATE
) AS s
JOIN users u ON u.id = s.user_id
ORDER BY k.position
