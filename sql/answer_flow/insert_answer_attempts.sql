-- Step 1: the attempts, one row each; ids are time-ordered UUIDs from the writer
-- (persistence/ids.py), so the primary key index is appended to, not scattered.
INSERT INTO answer_attempts (
    id, attempt_id, question_id, user_id, session_id, user_answer, is_correct, correct_answer,
    response_time, timestamp, input_method, raw_input, attempt_number, hints_used,
    fluency_score, confidence_rating, question_index, points)
SELECT * FROM unnest(
    $1::text::uuid[], $2::text::uuid[], $3::text::uuid[], $4::text::uuid[], $5::text::uuid[], $6::text::numeric[], $7::text::bool[],
    $8::text::numeric[], $9::text::int[], $10::text::timestamp[], $11::text::text[], $12::text::text[], $13::text::int[],
    $14::text::int[], $15::text::numeric[], $16::text::int[], $17::text::int[], $18::text::int[])
