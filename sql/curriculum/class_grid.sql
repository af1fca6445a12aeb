-- A class's grid: for each fact of :track_id and :operation, how many of the roster of
-- :class_id stand at each fluency level (a student who never tried it is 'not_started').
WITH roster AS (
    SELECT user_id FROM class_students WHERE class_id = :class_id
)
SELECT
    q.id AS question_id,
    q.operand1 AS row,
    q.operand2 AS col,
    q.operation,
    q.correct_answer AS value,
    count(r.user_id) AS students,
    count(r.user_id) FILTER (WHERE COALESCE(qp.fluency_level, 'not_started') = 'not_started') AS not_started,
    count(r.user_id) FILTER (WHERE qp.fluency_level = 'learning') AS learning,
    count(r.user_id) FILTER (WHERE qp.fluency_level = 'accuracy') AS accuracy,
    count(r.user_id) FILTER (WHERE qp.fluency_level = 'fluency_6s') AS fluency_6s,
    count(r.user_id) FILTER (WHERE qp.fluency_level = 'fluency_3s_2s') AS fluency_3s_2s,
    count(r.user_id) FILTER (WHERE qp.fluency_level = 'mastered') AS mastered,
    COALESCE(avg(COALESCE(qp.mastery, 0)) FILTER (WHERE r.user_id IS NOT NULL), 0) AS average_mastery
FROM questions q
LEFT JOIN roster r ON true
LEFT JOIN question_progress qp ON qp.question_id = q.id AND qp.user_id = r.user_id
WHERE q.track_id = :track_id
    AND q.operation = :operation
GROUP BY q.id
ORDER BY q.operand1, q.operand2
