-- Step 0a: give every existing user of the batch a user_statistics row (a user's first
-- attempt creates it). Sorted, so two writers insert new rows in the same order.
INSERT INTO user_statistics (user_id)
SELECT u.id FROM users u WHERE u.id = ANY($1::uuid[]) ORDER BY u.id
ON CONFLICT (user_id) DO NOTHING
