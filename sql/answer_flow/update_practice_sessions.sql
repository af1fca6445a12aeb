-- The sessions' answer counters after the batch.
UPDATE practice_sessions p SET
    questions_answered = v.questions_answered,
    correct_answers = v.correct_answers,
    accuracy = v.accuracy,
    average_response_time = v.average_response_time,
    total_response_time = v.total_response_time,
    mastery_gained = v.mastery_gained,
    new_mastered_facts = ARRAY(SELECT jsonb_array_elements_text(v.new_mastered_facts::jsonb))
FROM unnest($1::uuid[], $2::int[], $3::int[], $4::numeric[], $5::int[], $6::bigint[],
            $7::numeric[], $8::text[])
    AS v(id, questions_answered, correct_answers, accuracy, average_response_time,
         total_response_time, mastery_gained, new_mastered_facts)
WHERE p.id = v.id
