-- Step 1: the attempts, one row each.
INSERT INTO answer_attempts (
    id, attempt_id, question_id, user_id, session_id, user_answer, is_correct, correct_answer,
    response_time, timestamp, input_method, raw_input, attempt_number, hints_used,
    fluency_score, confidence_rating, question_index, points)
SELECT * FROM unnest(
    $1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::numeric[], $7::bool[],
    $8::numeric[], $9::int[], $10::timestamp[], $11::text[], $12::text[], $13::int[],
    $14::int[], $15::numeric[], $16::int[], $17::int[], $18::int[])
