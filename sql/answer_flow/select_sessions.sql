SELECT id, user_id, mode, questions_answered, correct_answers, total_response_time,
       mastery_gained, new_mastered_facts
FROM practice_sessions
WHERE id = ANY($1::uuid[])
