-- Unlock, for each of :user_ids, every track whose prerequisite tracks the student has all
-- completed. Returns the (user_id, track_id) pairs that became unlocked just now.
-- started_date stays NULL until the student first answers one of the track's facts.
INSERT INTO user_track_progress AS utp (user_id, track_id, started_date, is_unlocked)
SELECT u.user_id, t.id, NULL, true
FROM (SELECT DISTINCT unnest(CAST(:user_ids AS uuid[])) AS user_id) u
CROSS JOIN learning_tracks t
WHERE cardinality(t.prerequisite_track_ids) > 0
  AND NOT EXISTS (
      SELECT 1 FROM unnest(t.prerequisite_track_ids) AS pre(id)
      WHERE NOT EXISTS (
          SELECT 1 FROM user_track_progress d
          WHERE d.user_id = u.user_id AND d.track_id = pre.id AND d.completed_date IS NOT NULL))
ON CONFLICT (user_id, track_id) DO UPDATE SET is_unlocked = true
    WHERE NOT COALESCE(utp.is_unlocked, false)
RETURNING utp.user_id, utp.track_id
