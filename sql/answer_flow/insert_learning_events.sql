-- Step 5: one "answer_submitted" event per attempt.
INSERT INTO learning_events (type, user_id, timestamp, payload, device_info)
SELECT 'answer_submitted', v.user_id, v.timestamp, v.payload::jsonb, v.device_info::jsonb
FROM unnest($1::uuid[], $2::timestamp[], $3::text[], $4::text[])
    AS v(user_id, timestamp, payload, device_info)
