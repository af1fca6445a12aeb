-- What a teacher sets for a student (docs/practice.md, "Teacher controls"), and the display
-- preferences the pages offer beside text size and colours.
--
-- student_settings: one row per student a teacher has set something for (none: the
-- defaults). `assigned_track_id` is the track their practice page opens on;
-- `time_multiplier` the time they get, as a multiple of a question's time limit, in live
-- games, personal rounds and practice alike (NULL: untimed); `accuracy_scoring` scores a
-- correct answer without a speed bonus. The answer flow still records the true response time
-- (mastery, fluency and the review schedule read it).
CREATE TABLE student_settings (
    user_id UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    assigned_track_id UUID REFERENCES learning_tracks(id) ON DELETE SET NULL,
    time_multiplier NUMERIC(2,1) DEFAULT 1.0
        CHECK (time_multiplier IS NULL OR time_multiplier IN (1.0, 1.5, 2.0)),
    accuracy_scoring BOOLEAN NOT NULL DEFAULT false,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- A room scores its answers by speed (the contract's formula) or by accuracy alone.
ALTER TABLE rooms ADD CONSTRAINT rooms_scoring_mode_check
    CHECK (scoring_mode IN ('speed', 'accuracy'));

-- Display preferences: a font for dyslexic readers, and a palette for colour-blind eyes.
ALTER TABLE users
    ADD COLUMN font_family VARCHAR(20) NOT NULL DEFAULT 'standard'
        CHECK (font_family IN ('standard', 'dyslexia')),
    ADD COLUMN palette VARCHAR(20) NOT NULL DEFAULT 'standard'
        CHECK (palette IN ('standard', 'colour_blind'));
