-- user_track_progress for the (user, track) pairs an answer batch touched, summed from the
-- student's section rows (user_section_progress, just recomputed from question_progress), so it is
-- exact and costs one row per section: mastered_questions counts the track's facts at
-- 'mastered'; total_time_spent is the student's answer time on the track's facts in whole
-- minutes; current_section_id is the first section the student has not completed (NULL once
-- all are); completed_date is set once, when every section is completed and the track is
-- unlocked for the student (a placement quiz may complete every section of a locked track: the
-- result is kept, and the track completes when it unlocks); started_date is the time of the
-- first batch with an answer on the track.
-- :user_ids and :track_ids are parallel arrays; :now is the batch's answer time.
WITH pairs AS (
    SELECT DISTINCT p.user_id, p.track_id
    FROM unnest(CAST(:user_ids AS uuid[]), CAST(:track_ids AS uuid[])) AS p(user_id, track_id)
), sections AS (
    SELECT p.user_id, p.track_id,
           bool_and(COALESCE(usp.is_completed, false)) AS all_done,
           (array_agg(s.id ORDER BY s.sequence_number)
                FILTER (WHERE NOT COALESCE(usp.is_completed, false)))[1] AS current_section_id,
           COALESCE(sum(usp.mastered_questions), 0) AS mastered,
           COALESCE(sum(usp.total_response_time), 0) AS time_ms
    FROM pairs p
    JOIN track_sections s ON s.track_id = p.track_id
    LEFT JOIN user_section_progress usp ON usp.user_id = p.user_id AND usp.section_id = s.id
    GROUP BY p.user_id, p.track_id
), unlocked AS (
    SELECT p.user_id, p.track_id, NOT EXISTS (
               SELECT 1 FROM learning_tracks t, unnest(t.prerequisite_track_ids) AS pre(id)
               WHERE t.id = p.track_id AND NOT EXISTS (
                   SELECT 1 FROM user_track_progress d
                   WHERE d.user_id = p.user_id AND d.track_id = pre.id
                     AND d.completed_date IS NOT NULL))
           -- unlocked before (a teacher's unlock stays whatever the prerequisites say)
           OR EXISTS (SELECT 1 FROM user_track_progress x
                      WHERE x.user_id = p.user_id AND x.track_id = p.track_id
                        AND x.is_unlocked) AS unlocked
    FROM pairs p
)
INSERT INTO user_track_progress AS utp
    (user_id, track_id, started_date, completed_date, current_section_id, mastered_questions,
     total_time_spent, is_unlocked)
SELECT s.user_id, s.track_id,
       CASE WHEN s.time_ms > 0 OR s.mastered > 0 THEN CAST(:now AS timestamp) END,
       CASE WHEN s.all_done AND u.unlocked THEN CAST(:now AS timestamp) END,
       s.current_section_id, s.mastered, floor(s.time_ms / 60000)::int, u.unlocked
FROM sections s
JOIN unlocked u USING (user_id, track_id)
ORDER BY s.user_id, s.track_id
ON CONFLICT (user_id, track_id) DO UPDATE SET
    started_date = COALESCE(utp.started_date, EXCLUDED.started_date),
    completed_date = COALESCE(utp.completed_date, EXCLUDED.completed_date),
    current_section_id = EXCLUDED.current_section_id,
    mastered_questions = EXCLUDED.mastered_questions,
    total_time_spent = EXCLUDED.total_time_spent,
    is_unlocked = utp.is_unlocked OR EXCLUDED.is_unlocked
