-- Curriculum: per-student section completion, and a stable key for track facts.
-- Reasons are in docs/schema.md ("Curriculum").

-- The seed's track_sections.is_completed/completion_date describe one section for everyone;
-- completion is per student, so it lives here. `source` says how it was earned: by practice
-- (mastery_required and minimum_accuracy met) or by passing that section in a placement quiz.
CREATE TABLE user_section_progress (
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    section_id UUID NOT NULL REFERENCES track_sections(id) ON DELETE CASCADE,
    track_id UUID NOT NULL REFERENCES learning_tracks(id) ON DELETE CASCADE,
    average_mastery DECIMAL(3,2) NOT NULL DEFAULT 0.00,
    accuracy DECIMAL(5,2) NOT NULL DEFAULT 0.00,
    mastered_questions INTEGER NOT NULL DEFAULT 0,
    -- ms, the sum of the student's answer times on the section's facts (exact; the track's
    -- total_time_spent in minutes is derived from these).
    total_response_time BIGINT NOT NULL DEFAULT 0,
    is_completed BOOLEAN NOT NULL DEFAULT false,
    completion_date TIMESTAMP,
    source VARCHAR(20) CHECK (source IN ('practice', 'placement')),
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (user_id, section_id)
);
CREATE INDEX idx_user_section_progress_track ON user_section_progress (user_id, track_id);

-- A track's facts are unique within it, so the seed can upsert them and the grid reads one
-- cell per (row, col).
CREATE UNIQUE INDEX idx_track_fact ON questions (track_id, operand1, operand2, operation)
    WHERE track_id IS NOT NULL AND operand3 IS NULL;
