-- The seed's Grid Data Query ("Optimized query for grid visualization"), with the fact's id
-- added so a client can start practising a cell. :user_id, :track_id, :operation.
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
        END AS accuracy
    FROM questions q
    LEFT JOIN question_progress qp
        ON q.id = qp.question_id
        AND qp.user_id = :user_id
    WHERE q.track_id = :track_id
        AND q.operation = :operation
        -- Only two-operand facts have a cell; this also lets idx_track_fact serve the query.
        AND q.operand3 IS NULL
)
SELECT * FROM grid_data
ORDER BY row, col
