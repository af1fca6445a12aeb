-- Per-student progress of the sections holding the facts an answer batch touched.
-- A section is completed when the student's average mastery over ALL its facts (unseen facts
-- count 0) reaches mastery_required and their accuracy on its facts reaches minimum_accuracy.
-- Completion is a milestone: once reached it stays, even if mastery later dips.
-- :user_ids and :question_ids are parallel arrays (one pair per committed answer); :now is
-- the batch's answer time (naive UTC).
WITH answered AS (
    SELECT DISTINCT a.user_id, a.question_id
    FROM unnest(CAST(:user_ids AS uuid[]), CAST(:question_ids AS uuid[])) AS a(user_id, question_id)
), touched AS (
    -- Only the sections that hold an answered fact can have changed.
    -- (a fact can sit in sections of several tracks: mixed review holds others' rows).
    SELECT DISTINCT a.user_id, tf.section_id
    FROM answered a
    JOIN track_facts tf ON tf.question_id = a.question_id
), members AS (
    SELECT t.user_id, s.id AS section_id, s.track_id, s.mastery_required, s.minimum_accuracy,
           cardinality(s.question_ids) AS size, m.question_id
    FROM touched t
    JOIN track_sections s ON s.id = t.section_id
    CROSS JOIN LATERAL unnest(s.question_ids) AS m(question_id)
), measured AS (
    SELECT m.user_id, m.section_id, m.track_id,
           COALESCE(sum(qp.mastery), 0) / GREATEST(max(m.size), 1) AS average_mastery,
           CASE WHEN COALESCE(sum(qp.total_attempts), 0) > 0
                THEN sum(qp.correct_attempts)::numeric * 100 / sum(qp.total_attempts)
                ELSE 0 END AS accuracy,
           count(qp.id) FILTER (WHERE qp.fluency_level = 'mastered') AS mastered,
           -- The answer flow keeps each fact's exact millisecond sum in the same transaction
           -- as the answer; it also survives the archiving of old answer_attempts.
           COALESCE(sum(qp.total_response_time), 0) AS time_ms,
           max(m.mastery_required) AS mastery_required,
           max(m.minimum_accuracy) AS minimum_accuracy
    FROM members m
    LEFT JOIN question_progress qp ON qp.user_id = m.user_id AND qp.question_id = m.question_id
    GROUP BY m.user_id, m.section_id, m.track_id
), judged AS (
    SELECT m.*, (m.average_mastery >= m.mastery_required
                 AND m.accuracy >= m.minimum_accuracy) AS done
    FROM measured m
)
INSERT INTO user_section_progress AS usp
    (user_id, section_id, track_id, average_mastery, accuracy, mastered_questions,
     total_response_time, is_completed, completion_date, source, updated_at)
SELECT user_id, section_id, track_id, round(average_mastery, 2), round(accuracy, 2), mastered,
       time_ms, done, CASE WHEN done THEN CAST(:now AS timestamp) END,
       CASE WHEN done THEN 'practice' END, CAST(:now AS timestamp)
FROM judged
ORDER BY user_id, section_id
ON CONFLICT (user_id, section_id) DO UPDATE SET
    average_mastery = EXCLUDED.average_mastery,
    accuracy = EXCLUDED.accuracy,
    mastered_questions = EXCLUDED.mastered_questions,
    total_response_time = EXCLUDED.total_response_time,
    is_completed = usp.is_completed OR EXCLUDED.is_completed,
    completion_date = COALESCE(usp.completion_date, EXCLUDED.completion_date),
    source = COALESCE(usp.source, EXCLUDED.source),
    updated_at = EXCLUDED.updated_at
