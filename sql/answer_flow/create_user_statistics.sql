-- Step 0b (first attempts only): give the existing users that lock_users.sql did not find a
-- user_statistics row. Sorted, so two writers insert new rows in the same order; the writer
-- then locks them with lock_users.sql.
INSERT INTO user_statistics (user_id)
SELECT u.id
FROM unnest($1::text::uuid[]) AS k(id)
JOIN users u ON u.id = k.id
ORDER BY u.id
ON CONFLICT (user_id) DO NOTHING
