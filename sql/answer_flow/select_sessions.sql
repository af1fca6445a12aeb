SELECT k.position, p.id, p.user_id, p.mode, p.questions_answered, p.correct_answers,
       p.total_response_time, p.mastery_gained, p.new_mastered_facts
FROM unnest($1::uuid[]) WITH ORDINALITY AS k(id, position)
CROSS JOIN LATERAL (SELECT * FROM practice_sessions p WHERE p.id = k.id) AS p
