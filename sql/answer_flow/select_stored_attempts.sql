-- Retries: which of the batch's attempt_ids are already stored (committed by an earlier batch).
-- LATERAL: one unique-index probe per key, whatever the planner thinks of the table's size.
SELECT k.position, a.attempt_id, a.id, a.user_id, a.question_id, a.is_correct, a.correct_answer,
       a.response_time, a.points
FROM unnest($1::uuid[]) WITH ORDINALITY AS k(attempt_id, position)
CROSS JOIN LATERAL (
    SELECT * FROM answer_attempts a WHERE a.attempt_id = k.attempt_id
) AS a
