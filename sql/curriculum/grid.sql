-- The seed's Grid Data Query ("Optimized query for grid visualization"), with the fact's id
-- and its review schedule added (a cell opens its detail) and the track's facts read from its
-- sections (track_facts): one fact is one row, so a track may hold another track's row (mixed
-- review holds multiplication's 7 × 8) and every answer to a fact shows in its cell, whatever
-- asked it. :user_id, :track_id, :operation.
WITH grid_data AS (
    SELECT
        q.id AS question_id,
        q.operand1 AS row,
        q.operand2 AS col,
        q.operation,
        q.correct_answer AS value,
        COALESCE(qp.mastery, 0) AS mastery,
        COALESCE(qp.fluency_level, 'not_started') AS fluency_level,
        qp.last_attempt_date,
        qp.last_response_time,
        qp.total_attempts,
        CASE
            WHEN qp.total_attempts > 0
            THEN (qp.correct_attempts::FLOAT / qp.total_attempts * 100)
            ELSE 0
        END AS accuracy,
        qp.correct_attempts,
        qp.average_response_time,
        qp.next_review_date,
        qp.review_interval,
        qp.ease_factor
    FROM track_facts tf
    JOIN questions q ON q.id = tf.question_id
    LEFT JOIN question_progress qp
        ON q.id = qp.question_id
        AND qp.user_id = :user_id
    WHERE tf.track_id = :track_id
        AND q.operation = :operation
        -- Only two-operand facts have a cell.
        AND q.operand3 IS NULL
)
SELECT * FROM grid_data
ORDER BY row, col
