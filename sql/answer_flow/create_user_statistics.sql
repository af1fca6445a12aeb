-- Step 0b (first attempts only): give the locked users that have no user_statistics row
-- yet (lock_users.sql: has_statistics) their row; the writer then reads them again.
-- The users rows are locked, so no other writer inserts the same row meanwhile.
INSERT INTO user_statistics (user_id)
SELECT k.id
FROM unnest($1::uuid[]) AS k(id)
ORDER BY k.id
ON CONFLICT (user_id) DO NOTHING
