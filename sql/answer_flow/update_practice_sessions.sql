-- The sessions' answer counters after the batch.
UPDATE practice_sessions p SET
    questions_answered = v.questions_answered,
    correct_answers = v.correct_answers,
    accuracy = v.accuracy::numeric,
    average_response_time = v.average_response_time,
    total_response_time = v.total_response_time,
    mastery_gained = v.mastery_gained,
    new_mastered_facts = v.new_mastered_facts::text[]
FROM flow_session_rows v
WHERE p.id = v.id
