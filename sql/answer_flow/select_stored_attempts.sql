-- Retries: which of the batch's attempt_ids are already stored (committed by an earlier batch).
SELECT a.attempt_id, a.id, a.user_id, a.question_id, a.is_correct, a.correct_answer,
       a.response_time, a.points
FROM unnest($1::text::uuid[]) AS k(attempt_id)
JOIN answer_attempts a ON a.attempt_id = k.attempt_id
