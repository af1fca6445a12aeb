-- Step 0b: lock the batch's users in user_id order. Every writer of the flow's tables takes
-- these row locks first, so two batches (in one process or several) never interleave one
-- user, and never deadlock. Returns each user's statistics and daily goal.
SELECT s.user_id, s.total_questions_answered, s.total_correct_answers, s.total_response_time,
       s.last_practice_date, s.current_streak, s.longest_streak,
       s.daily_practice_ms, s.weekly_practice_ms, s.monthly_practice_ms,
       s.facts_by_fluency_level::text AS facts_by_fluency_level,
       s.performance_by_operation::text AS performance_by_operation,
       s.achievements_unlocked, s.experience_points, u.daily_goal_minutes
FROM user_statistics s
JOIN users u ON u.id = s.user_id
WHERE s.user_id = ANY($1::uuid[])
ORDER BY s.user_id
FOR UPDATE OF s
