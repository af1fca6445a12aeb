-- The sessions' answer counters after the batch.
UPDATE practice_sessions p SET
    questions_answered = v.questions_answered,
    correct_answers = v.correct_answers,
    accuracy = v.accuracy,
    average_response_time = v.average_response_time,
    total_response_time = v.total_response_time,
    mastery_gained = v.mastery_gained,
    new_mastered_facts = v.new_mastered_facts::text[]
FROM unnest($1::uuid[], $2::text::int[], $3::text::int[], $4::text::numeric[], $5::text::int[], $6::text::bigint[],
            $7::text::numeric[], $8::text[])
    AS v(id, questions_answered, correct_answers, accuracy, average_response_time,
         total_response_time, mastery_gained, new_mastered_facts)
WHERE p.id = v.id
