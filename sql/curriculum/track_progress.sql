-- user_track_progress for the (user, track) pairs an answer batch touched, recomputed from the
-- record so it stays exact: mastered_questions counts the track's facts at 'mastered';
-- total_time_spent is the sum of answer_attempts.response_time on the track's facts, in whole
-- minutes; current_section_id is the first section the student has not completed (NULL once
-- all are); completed_date is set once, when every section is completed.
WITH pairs AS (
    SELECT DISTINCT p.user_id, p.track_id
    FROM unnest(CAST(:user_ids AS uuid[]), CAST(:track_ids AS uuid[])) AS p(user_id, track_id)
), sections AS (
    SELECT p.user_id, s.track_id, s.id, s.sequence_number,
           COALESCE(usp.is_completed, false) AS done
    FROM pairs p
    JOIN track_sections s ON s.track_id = p.track_id
    LEFT JOIN user_section_progress usp ON usp.user_id = p.user_id AND usp.section_id = s.id
), summary AS (
    SELECT user_id, track_id, bool_and(done) AS all_done,
           (array_agg(id ORDER BY sequence_number) FILTER (WHERE NOT done))[1] AS current_section_id
    FROM sections
    GROUP BY user_id, track_id
), effort AS (
    SELECT p.user_id, p.track_id,
           (SELECT count(*) FROM question_progress qp JOIN questions q ON q.id = qp.question_id
            WHERE qp.user_id = p.user_id AND q.track_id = p.track_id
              AND qp.fluency_level = 'mastered') AS mastered,
           (SELECT COALESCE(sum(a.response_time), 0) FROM answer_attempts a
            JOIN questions q ON q.id = a.question_id
            WHERE a.user_id = p.user_id AND q.track_id = p.track_id) AS time_ms,
           (SELECT min(a.timestamp) FROM answer_attempts a JOIN questions q ON q.id = a.question_id
            WHERE a.user_id = p.user_id AND q.track_id = p.track_id) AS first_answer,
           NOT EXISTS (
               SELECT 1 FROM learning_tracks t, unnest(t.prerequisite_track_ids) AS pre(id)
               WHERE t.id = p.track_id AND NOT EXISTS (
                   SELECT 1 FROM user_track_progress d
                   WHERE d.user_id = p.user_id AND d.track_id = pre.id
                     AND d.completed_date IS NOT NULL)) AS unlocked
    FROM pairs p
)
INSERT INTO user_track_progress AS utp
    (user_id, track_id, started_date, completed_date, current_section_id, mastered_questions,
     total_time_spent, is_unlocked)
SELECT e.user_id, e.track_id, e.first_answer,
       CASE WHEN s.all_done THEN CAST(:now AS timestamp) END,
       s.current_section_id, e.mastered, (e.time_ms / 60000)::int, e.unlocked
FROM effort e JOIN summary s USING (user_id, track_id)
ON CONFLICT (user_id, track_id) DO UPDATE SET
    started_date = COALESCE(utp.started_date, EXCLUDED.started_date),
    completed_date = COALESCE(utp.completed_date, EXCLUDED.completed_date),
    current_section_id = EXCLUDED.current_section_id,
    mastered_questions = EXCLUDED.mastered_questions,
    total_time_spent = EXCLUDED.total_time_spent,
    is_unlocked = utp.is_unlocked OR EXCLUDED.is_unlocked
