-- Per-student section progress for the (user, track) pairs an answer batch touched.
-- A section is completed when the student's average mastery over ALL its facts (unseen facts
-- count 0) reaches mastery_required and their accuracy on its facts reaches minimum_accuracy.
-- Completion is a milestone: once reached it stays, even if mastery later dips.
-- :user_ids and :track_ids are parallel arrays; :now is the batch's answer time (naive UTC).
WITH pairs AS (
    SELECT DISTINCT p.user_id, p.track_id
    FROM unnest(CAST(:user_ids AS uuid[]), CAST(:track_ids AS uuid[])) AS p(user_id, track_id)
), measured AS (
    SELECT p.user_id, s.id AS section_id, s.track_id, s.mastery_required, s.minimum_accuracy,
           COALESCE(sum(qp.mastery), 0) / GREATEST(cardinality(s.question_ids), 1) AS average_mastery,
           CASE WHEN COALESCE(sum(qp.total_attempts), 0) > 0
                THEN sum(qp.correct_attempts)::numeric * 100 / sum(qp.total_attempts)
                ELSE 0 END AS accuracy,
           count(qp.id) FILTER (WHERE qp.fluency_level = 'mastered') AS mastered
    FROM pairs p
    JOIN track_sections s ON s.track_id = p.track_id
    LEFT JOIN question_progress qp
        ON qp.user_id = p.user_id AND qp.question_id = ANY (s.question_ids)
    GROUP BY p.user_id, s.id
), judged AS (
    SELECT m.*, (m.average_mastery >= m.mastery_required
                 AND m.accuracy >= m.minimum_accuracy) AS done
    FROM measured m
)
INSERT INTO user_section_progress AS usp
    (user_id, section_id, track_id, average_mastery, accuracy, mastered_questions,
     is_completed, completion_date, source, updated_at)
SELECT user_id, section_id, track_id, round(average_mastery, 2), round(accuracy, 2), mastered,
       done, CASE WHEN done THEN CAST(:now AS timestamp) END,
       CASE WHEN done THEN 'practice' END, CAST(:now AS timestamp)
FROM judged
ON CONFLICT (user_id, section_id) DO UPDATE SET
    average_mastery = EXCLUDED.average_mastery,
    accuracy = EXCLUDED.accuracy,
    mastered_questions = EXCLUDED.mastered_questions,
    is_completed = usp.is_completed OR EXCLUDED.is_completed,
    completion_date = COALESCE(usp.completion_date, EXCLUDED.completion_date),
    source = COALESCE(usp.source, EXCLUDED.source),
    updated_at = EXCLUDED.updated_at
