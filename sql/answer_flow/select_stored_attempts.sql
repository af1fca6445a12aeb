-- Retries: which of the batch's attempt_ids are already stored (committed by an earlier batch).
SELECT a.attempt_id, a.id, a.user_id, a.question_id, a.is_correct, a.correct_answer,
       a.response_time, a.points
FROM answer_attempts a
WHERE a.attempt_id = ANY($1::uuid[])
