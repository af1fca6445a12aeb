-- A class's grid: for each fact of :track_id (its sections, track_facts) and :operation, how
-- many of the roster of :class_id stand at each fluency level (a student who never tried it
-- is 'not_started'), and the class's answers to it (attempts, correct, their average time).
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
    COALESCE(avg(COALESCE(qp.mastery, 0)) FILTER (WHERE r.user_id IS NOT NULL), 0) AS average_mastery,
    count(qp.id) FILTER (WHERE qp.total_attempts > 0) AS tried,
    COALESCE(sum(qp.total_attempts), 0) AS attempts,
    COALESCE(sum(qp.correct_attempts), 0) AS correct,
    sum(qp.total_response_time) AS total_response_time
FROM track_facts tf
JOIN questions q ON q.id = tf.question_id
LEFT JOIN roster r ON true
LEFT JOIN question_progress qp ON qp.question_id = q.id AND qp.user_id = r.user_id
WHERE tf.track_id = :track_id
    AND q.operation = :operation
    AND q.operand3 IS NULL
GROUP BY q.id
ORDER BY q.operand1, q.operand2
