SELECT id, user_id, mode, questions_answered, correct_answers, total_response_time,
       mastery_gained, new_mastered_facts
FROM unnest($1::text::uuid[]) AS k(id)
JOIN practice_sessions p USING (id)
