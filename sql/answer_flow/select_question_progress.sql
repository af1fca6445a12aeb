SELECT k.position, qp.user_id, qp.question_id, qp.total_attempts, qp.correct_attempts,
       qp.incorrect_attempts, qp.total_response_time, qp.best_response_time,
       qp.last_response_time, qp.first_attempt_date, qp.last_attempt_date, qp.mastery,
       qp.fluency_level, qp.current_streak, qp.best_streak,
       qp.recent_attempts::text AS recent_attempts, qp.next_review_date, qp.review_interval,
       qp.ease_factor
FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS k(user_id, question_id, position)
CROSS JOIN LATERAL (
    SELECT * FROM question_progress qp
    WHERE qp.question_id = k.question_id AND qp.user_id = k.user_id
) AS qp
