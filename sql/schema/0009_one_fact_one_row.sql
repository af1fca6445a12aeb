-- One fact is one question row, whatever asks it (docs/curriculum.md, "One fact, one row"):
-- a learning track, a live game's operand range or a personal round. Before this, a range
-- game stored "7 × 8" as a row of its own (track_id NULL) and the mixed-review track held
-- copies of other tracks' facts, so a fact's progress was split and the grid showed only one
-- part of it.
--
-- 1. track_facts: which facts a track holds, read from its sections (track_sections.
--    question_ids, in section order), so a track can hold a fact whose row belongs to another
--    track: mixed review holds the multiplication track's 7 × 8. `position` is the fact's
--    place in the track (1..n), the order new facts are taught in.
CREATE VIEW track_facts AS
SELECT s.track_id, s.id AS section_id, f.question_id,
       (row_number() OVER (PARTITION BY s.track_id ORDER BY s.sequence_number, f.ordinality))::integer
           AS position
FROM track_sections s
CROSS JOIN LATERAL unnest(s.question_ids) WITH ORDINALITY AS f(question_id, ordinality);

-- 2. merge_duplicate_facts(): every two-operand fact whose row is free-standing (a room's
--    range) or belongs to a track of several operations (mixed review) is merged into the row
--    of a one-operation track with the same operands, when there is one: its answers, room
--    questions and section places move to that row, and each student's two progress rows
--    become one. `mathrally seed` runs it after writing the tracks (a game played before the
--    first seed created free rows); this migration runs it once for what is already stored.
--    Returns how many rows were merged away.
--
--    How two progress rows of one student become one: counts and the exact millisecond sum
--    add up (the average is derived from them, and the mastery trigger recomputes mastery and
--    level); best time and first date are the least, last date the latest; what describes
--    "now" (last time, current streak, the SM-2 schedule: next review, interval, ease) comes
--    from the row answered last; best streak is the larger (streaks of interleaved rows cannot
--    be joined afterwards); the last five attempts are the latest five of both.
CREATE FUNCTION merge_duplicate_facts() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    merged integer;
    pair record;
BEGIN
    CREATE TEMP TABLE fact_merge ON COMMIT DROP AS
    WITH canonical AS (
        SELECT DISTINCT ON (q.operand1, q.operand2, q.operation)
               q.id, q.operand1, q.operand2, q.operation
        FROM questions q JOIN learning_tracks t ON t.id = q.track_id
        WHERE q.operand3 IS NULL AND cardinality(t.operations) = 1
        ORDER BY q.operand1, q.operand2, q.operation, q.created_at, q.id
    )
    SELECT d.id AS old_id, c.id AS new_id
    FROM questions d
    JOIN canonical c
        ON c.operand1 = d.operand1 AND c.operand2 = d.operand2 AND c.operation = d.operation
    LEFT JOIN learning_tracks dt ON dt.id = d.track_id
    WHERE d.operand3 IS NULL AND d.id <> c.id
      AND (d.track_id IS NULL OR cardinality(dt.operations) > 1);
    SELECT count(*) INTO merged FROM fact_merge;
    IF merged = 0 THEN
        DROP TABLE fact_merge;
        RETURN 0;
    END IF;
    CREATE UNIQUE INDEX ON fact_merge (old_id);

    -- Each student's progress rows on a merged fact (the kept row's and the merged ones').
    CREATE TEMP TABLE progress_parts ON COMMIT DROP AS
    SELECT COALESCE(m.new_id, qp.question_id) AS target, qp.*
    FROM question_progress qp
    LEFT JOIN fact_merge m ON m.old_id = qp.question_id
    WHERE qp.question_id IN (SELECT old_id FROM fact_merge UNION SELECT new_id FROM fact_merge);

    DELETE FROM question_progress qp USING progress_parts p WHERE qp.id = p.id;

    INSERT INTO question_progress (question_id, user_id, total_attempts, correct_attempts,
        incorrect_attempts, total_response_time, average_response_time, best_response_time,
        last_response_time, first_attempt_date, last_attempt_date, current_streak, best_streak,
        recent_attempts, next_review_date, review_interval, ease_factor)
    SELECT s.target, s.user_id, s.total, s.correct, s.incorrect, s.total_ms,
           CASE WHEN s.total > 0 THEN (2 * s.total_ms + s.total) / (2 * s.total) END,
           s.best_ms, latest.last_response_time, s.first_date, s.last_date,
           latest.current_streak, s.best_streak,
           (SELECT jsonb_agg(a ORDER BY a->>'timestamp') FROM (
                SELECT a FROM progress_parts p2
                CROSS JOIN LATERAL jsonb_array_elements(COALESCE(p2.recent_attempts, '[]'::jsonb)) a
                WHERE p2.target = s.target AND p2.user_id = s.user_id
                ORDER BY a->>'timestamp' DESC LIMIT 5) recent),
           latest.next_review_date, latest.review_interval, latest.ease_factor
    FROM (
        SELECT target, user_id, sum(COALESCE(total_attempts, 0)) AS total,
               sum(COALESCE(correct_attempts, 0)) AS correct,
               sum(COALESCE(incorrect_attempts, 0)) AS incorrect,
               sum(total_response_time) AS total_ms, min(best_response_time) AS best_ms,
               min(first_attempt_date) AS first_date, max(last_attempt_date) AS last_date,
               max(best_streak) AS best_streak
        FROM progress_parts GROUP BY target, user_id
    ) s
    CROSS JOIN LATERAL (
        SELECT p.last_response_time, p.current_streak, p.next_review_date, p.review_interval,
               p.ease_factor
        FROM progress_parts p WHERE p.target = s.target AND p.user_id = s.user_id
        ORDER BY p.last_attempt_date DESC NULLS LAST, p.id LIMIT 1
    ) latest;

    -- A student with two rows of one fact counted it twice in their level counts.
    UPDATE user_statistics us SET
        facts_by_fluency_level = c.levels,
        total_mastered_facts = (c.levels->>'mastered')::integer
    FROM (
        SELECT u.user_id, jsonb_build_object(
                   'not_started', count(*) FILTER (WHERE qp.fluency_level = 'not_started'),
                   'learning', count(*) FILTER (WHERE qp.fluency_level = 'learning'),
                   'accuracy', count(*) FILTER (WHERE qp.fluency_level = 'accuracy'),
                   'fluency_6s', count(*) FILTER (WHERE qp.fluency_level = 'fluency_6s'),
                   'fluency_3s_2s', count(*) FILTER (WHERE qp.fluency_level = 'fluency_3s_2s'),
                   'mastered', count(*) FILTER (WHERE qp.fluency_level = 'mastered')) AS levels
        FROM (SELECT DISTINCT user_id FROM progress_parts) u
        JOIN question_progress qp ON qp.user_id = u.user_id
        GROUP BY u.user_id
    ) c
    WHERE us.user_id = c.user_id;

    UPDATE answer_attempts a SET question_id = m.new_id FROM fact_merge m WHERE a.question_id = m.old_id;
    UPDATE answer_attempts_archive a SET question_id = m.new_id
        FROM fact_merge m WHERE a.question_id = m.old_id;
    UPDATE room_questions r SET question_id = m.new_id FROM fact_merge m WHERE r.question_id = m.old_id;
    UPDATE room_personal_questions r SET question_id = m.new_id
        FROM fact_merge m WHERE r.question_id = m.old_id;
    UPDATE track_sections s SET question_ids = ARRAY(
            SELECT COALESCE(m.new_id, f.id)
            FROM unnest(s.question_ids) WITH ORDINALITY AS f(id, n)
            LEFT JOIN fact_merge m ON m.old_id = f.id ORDER BY f.n)
        WHERE s.question_ids && ARRAY(SELECT old_id FROM fact_merge);
    -- Sessions still running name their facts in their config (a placement quiz, the last
    -- fact asked); finished ones keep what they recorded.
    FOR pair IN SELECT * FROM fact_merge LOOP
        UPDATE practice_sessions s
        SET config = replace(s.config::text, pair.old_id::text, pair.new_id::text)::jsonb
        WHERE s.status <> 'completed' AND strpos(s.config::text, pair.old_id::text) > 0;
    END LOOP;
    UPDATE practice_sessions s SET new_mastered_facts = ARRAY(
            SELECT COALESCE(m.new_id::text, f.id) FROM unnest(s.new_mastered_facts) WITH ORDINALITY AS f(id, n)
            LEFT JOIN fact_merge m ON m.old_id::text = f.id ORDER BY f.n)
        WHERE s.new_mastered_facts && ARRAY(SELECT old_id::text FROM fact_merge);

    DELETE FROM questions q USING fact_merge m WHERE q.id = m.old_id;
    DROP TABLE progress_parts;
    DROP TABLE fact_merge;
    RETURN merged;
END;
$$;

SELECT merge_duplicate_facts();
