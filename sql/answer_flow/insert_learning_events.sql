-- Step 5: one "answer_submitted" event per attempt.
-- Ids are time-ordered UUIDs from the writer (persistence/ids.py): appended, not scattered.
INSERT INTO learning_events (id, type, user_id, timestamp, payload, device_info)
SELECT v.id, 'answer_submitted', v.user_id, v.timestamp, v.payload::jsonb, v.device_info::jsonb
FROM unnest($1::text::uuid[], $2::text::uuid[], $3::text::timestamp[], $4::text::text[],
            $5::text::text[])
    AS v(id, user_id, timestamp, payload, device_info)
