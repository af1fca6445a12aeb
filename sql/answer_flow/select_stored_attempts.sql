-- Retries: which of the batch's attempt_ids are already stored (committed by an earlier
-- batch); and, for live answers, whether their session already has a stored answer to that
-- question under another attempt_id (idx_attempts_one_per_question: one scored answer per
-- player per question). The caller tells the two apart by comparing attempt_id with its key.
-- LATERAL: one unique-index probe per key, whatever the planner thinks of the table's size.
SELECT k.position, a.attempt_id, a.id, a.user_id, a.question_id, a.is_correct, a.correct_answer,
       a.response_time, a.points, a.session_id, a.question_index
FROM unnest($1::uuid[], $2::uuid[], $3::int[])
     WITH ORDINALITY AS k(attempt_id, session_id, question_index, position)
CROSS JOIN LATERAL (
    SELECT * FROM answer_attempts a WHERE a.attempt_id = k.attempt_id
    UNION ALL
    SELECT * FROM answer_attempts a
    WHERE k.question_index IS NOT NULL AND a.session_id = k.session_id
      AND a.question_index = k.question_index AND a.attempt_id <> k.attempt_id
) AS a
