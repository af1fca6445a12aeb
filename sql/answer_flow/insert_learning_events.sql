-- Step 5: one answer_submitted event per new attempt.
INSERT INTO learning_events (id, type, user_id, "timestamp", payload, device_info)
SELECT v.id, 'answer_submitted', v.user_id, v.at, v.payload::jsonb, v.device_info::jsonb
FROM unnest($1::uuid[], $2::uuid[], $3::timestamp[], $4::text[], $5::text[])
    AS v(id, user_id, at, payload, device_info)
