-- Step 0a: lock the batch's users, in the order given (the writer sorts them by user_id).
-- Every writer of a student's flow rows takes this lock on the users row first (the flow
-- here, erasure in persistence/rosters.py), so two batches (in one process or several) never
-- interleave one user, and never deadlock. The users row rather than the user_statistics row:
-- every student has one (a statistics row may not exist yet), and erasure must wait for it.
-- FOR NO KEY UPDATE still lets other transactions take FOR KEY SHARE on it, as the foreign-
-- key checks of a room join or a new practice session do, so those never wait for a batch.
-- Returns each user's daily goal and statistics; has_statistics is
-- false until create_user_statistics.sql gave the user a row. position: the user's place in
-- $1 (1-based), so the writer keys each row by its own user_id object (see _load).
SELECT k.position, u.id AS user_id, u.daily_goal_minutes, s.user_id IS NOT NULL AS has_statistics,
       s.total_questions_answered, s.total_correct_answers, s.total_response_time,
       s.last_practice_date, s.current_streak, s.longest_streak,
       s.daily_practice_ms, s.weekly_practice_ms, s.monthly_practice_ms,
       s.facts_by_fluency_level::text AS facts_by_fluency_level,
       s.performance_by_operation::text AS performance_by_operation,
       s.achievements_unlocked, s.experience_points
FROM unnest($1::uuid[]) WITH ORDINALITY AS k(user_id, position)
CROSS JOIN LATERAL (
    SELECT u.id, u.daily_goal_minutes FROM users u WHERE u.id = k.user_id FOR NO KEY UPDATE
) AS u
LEFT JOIN user_statistics s ON s.user_id = u.id
ORDER BY k.position
