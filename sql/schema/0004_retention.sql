-- Data retention (docs/operations.md, "Retention"; deviations in docs/schema.md, "Operations").

-- Answer attempts older than two years leave the hot table for this archive: the same
-- columns in the same order, the same keys and references, so an archived range can be put
-- back with one INSERT … SELECT and a read can UNION ALL both tables. The archive keeps
-- only the indexes a restore or an export needs.
CREATE TABLE answer_attempts_archive (
    id UUID PRIMARY KEY,
    question_id UUID REFERENCES questions(id) NOT NULL,
    user_id UUID REFERENCES users(id) NOT NULL,
    session_id UUID REFERENCES practice_sessions(id) NOT NULL,
    user_answer DECIMAL(10,2) NOT NULL,
    is_correct BOOLEAN NOT NULL,
    correct_answer DECIMAL(10,2) NOT NULL,
    response_time INTEGER NOT NULL,
    timestamp TIMESTAMP,
    input_method VARCHAR(20) NOT NULL,
    raw_input TEXT,
    attempt_number INTEGER NOT NULL,
    hints_used INTEGER,
    fluency_score DECIMAL(3,2),
    confidence_rating INTEGER,
    attempt_id UUID NOT NULL UNIQUE,
    question_index INTEGER,
    points INTEGER,
    -- When retention moved the row (the only column the hot table does not have).
    archived_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_attempts_archive_timestamp ON answer_attempts_archive (timestamp);
CREATE INDEX idx_attempts_archive_user ON answer_attempts_archive (user_id, timestamp);

-- Learning events older than 90 days are counted here (per user, per UTC day, per type) and
-- then deleted. Rows are only ever added to, never rewritten, so the counts are exact.
CREATE TABLE learning_event_daily_counts (
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    date DATE NOT NULL,
    type VARCHAR(50) NOT NULL,
    event_count INTEGER NOT NULL CHECK (event_count > 0),
    PRIMARY KEY (user_id, date, type)
);

-- Sessions older than six months keep their summary columns; their details are trimmed once
-- and this stamp says when (NULL: details still present).
ALTER TABLE practice_sessions ADD COLUMN details_trimmed_at TIMESTAMP;
-- Finds the sessions still to trim without reading the trimmed ones again.
CREATE INDEX idx_sessions_untrimmed ON practice_sessions (start_time)
    WHERE details_trimmed_at IS NULL;
