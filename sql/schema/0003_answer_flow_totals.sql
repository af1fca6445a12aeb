-- Exact running totals for the answer submission flow (docs/answer-flow.md).
-- The seed stores averages as INTEGER milliseconds and practice time as INTEGER minutes;
-- rounding a running average or adding rounded minutes drifts. These columns keep the exact
-- millisecond sums from which every average and minute count is derived, and the date the
-- day-streak and period counters are anchored on. Listed in docs/schema.md.

ALTER TABLE question_progress
    ADD COLUMN total_response_time BIGINT NOT NULL DEFAULT 0;   -- ms, sum over all attempts

ALTER TABLE practice_sessions
    ADD COLUMN total_response_time BIGINT NOT NULL DEFAULT 0;   -- ms, sum over the session

ALTER TABLE daily_practice_summaries
    ADD COLUMN total_response_time BIGINT NOT NULL DEFAULT 0;   -- ms, sum over the day

ALTER TABLE user_statistics
    ADD COLUMN total_response_time BIGINT NOT NULL DEFAULT 0,   -- ms, sum over all attempts
    ADD COLUMN last_practice_date DATE,                         -- UTC day of the latest attempt
    ADD COLUMN daily_practice_ms BIGINT NOT NULL DEFAULT 0,     -- ms in last_practice_date
    ADD COLUMN weekly_practice_ms BIGINT NOT NULL DEFAULT 0,    -- ms in its ISO week
    ADD COLUMN monthly_practice_ms BIGINT NOT NULL DEFAULT 0;   -- ms in its calendar month
