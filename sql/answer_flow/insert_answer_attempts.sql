-- Step 1: the batch's new attempts, one row each. The writer makes their ids (time-ordered
-- UUIDs, persistence/ids.py); attempt_id's unique index refuses a retry stored meanwhile.
INSERT INTO answer_attempts (
    id, attempt_id, question_id, user_id, session_id, user_answer, is_correct,
    correct_answer, response_time, "timestamp", input_method, raw_input, attempt_number,
    hints_used, fluency_score, confidence_rating, question_index, points)
SELECT * FROM unnest(
    $1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text::numeric[],
    $7::text::boolean[], $8::text::numeric[], $9::text::int[], $10::timestamp[], $11::text[],
    $12::text[], $13::text::int[], $14::text::int[], $15::text::numeric[], $16::text::int[],
    $17::text::int[], $18::text::int[])
