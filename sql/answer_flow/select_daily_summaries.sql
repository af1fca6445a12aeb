SELECT k.position, d.user_id, d.date, d.questions_answered, d.correct_answers, d.total_response_time,
       d.facts_reviewed, d.new_facts_learned, d.facts_mastered, d.sessions,
       d.time_by_mode::text AS time_by_mode, d.current_streak
FROM unnest($1::uuid[], $2::date[]) WITH ORDINALITY AS k(user_id, date, position)
CROSS JOIN LATERAL (
    SELECT * FROM daily_practice_summaries d WHERE d.user_id = k.user_id AND d.date = k.date
) AS d
