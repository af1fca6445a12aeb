-- The batch's rows for the set-based statements, copied in binary (COPY … FROM STDIN) by the
-- writer and read by upsert_question_progress.sql, update_user_statistics.sql,
-- upsert_daily_summaries.sql and update_practice_sessions.sql. Temporary tables are private
-- to the connection, write no WAL, and are emptied at every commit; IF NOT EXISTS makes this
-- a catalog lookup after a connection's first batch. A few columns are text that the
-- statements cast: the JSON documents, the text[] literals and the exact decimals, which the
-- writer already holds as text.
SET LOCAL client_min_messages = warning;
CREATE TEMP TABLE IF NOT EXISTS flow_fact_rows (
    id text, user_id uuid, question_id uuid, total_attempts int, correct_attempts int,
    incorrect_attempts int, total_response_time bigint, average_response_time int,
    best_response_time int, last_response_time int, first_attempt_date timestamp,
    last_attempt_date timestamp, current_streak int, best_streak int, recent_attempts text,
    next_review_date date, review_interval int, ease_factor numeric
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS flow_user_rows (
    user_id uuid, total_practice_time int, daily_practice_time int, weekly_practice_time int,
    monthly_practice_time int, current_streak int, longest_streak int,
    total_questions_answered int, total_correct_answers int, overall_accuracy text,
    average_response_time int, total_mastered_facts int, facts_by_fluency_level text,
    performance_by_operation text, achievements text, current_level int, experience_points int,
    total_response_time bigint, last_practice_date date, daily_practice_ms bigint,
    weekly_practice_ms bigint, monthly_practice_ms bigint, updated_at timestamp
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS flow_day_rows (
    user_id uuid, date date, total_minutes int, sessions int, questions_answered int,
    correct_answers int, accuracy text, average_response_time int, facts_reviewed int,
    new_facts_learned int, facts_mastered int, time_by_mode text, daily_goal_met bool,
    current_streak int, total_response_time bigint
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS flow_session_rows (
    id uuid, questions_answered int, correct_answers int, accuracy text,
    average_response_time int, total_response_time bigint, mastery_gained numeric,
    new_mastered_facts text
) ON COMMIT DELETE ROWS;
