-- The Math Learning Engine schema from the seed (docs/seed/schema.sql), in valid PostgreSQL.
-- Tables are created in dependency order; the seed's inline INDEX clauses are CREATE INDEX
-- statements after each table. Every deviation from the seed is listed in docs/schema.md.
-- All TIMESTAMP columns hold UTC (the server sets timezone=UTC on every connection).

CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    username VARCHAR(50) UNIQUE NOT NULL,
    -- Deviation: nullable. Students (often under 13) give no email; teachers must.
    email VARCHAR(255) UNIQUE,
    age INTEGER,
    grade_level VARCHAR(20),
    preferred_input_method VARCHAR(20) DEFAULT 'keyboard',
    daily_goal_minutes INTEGER DEFAULT 15,
    reminder_time TIME,
    font_size VARCHAR(10) DEFAULT 'medium',
    color_scheme VARCHAR(20) DEFAULT 'default',
    sound_effects BOOLEAN DEFAULT true,
    voice_feedback BOOLEAN DEFAULT false,
    show_hints BOOLEAN DEFAULT true,
    adaptive_learning BOOLEAN DEFAULT true,
    spaced_repetition BOOLEAN DEFAULT true,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    last_active TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    -- Addition: who this user is to the product ('student', 'guest', 'teacher').
    role VARCHAR(20) NOT NULL DEFAULT 'student'
        CHECK (role IN ('student', 'guest', 'teacher'))
);
CREATE INDEX idx_username ON users (username);
CREATE INDEX idx_email ON users (email);
CREATE INDEX idx_last_active ON users (last_active);

CREATE TABLE learning_tracks (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(100) NOT NULL,
    description TEXT,
    grade_level VARCHAR(20),
    difficulty VARCHAR(20) NOT NULL,
    estimated_duration INTEGER, -- hours
    operations TEXT[],
    operand_ranges JSONB,
    total_questions INTEGER NOT NULL,
    prerequisite_track_ids UUID[],
    icon_url TEXT,
    color VARCHAR(7),
    is_locked BOOLEAN DEFAULT true,
    unlock_criteria TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_grade_level ON learning_tracks (grade_level);
-- The seed names two indexes idx_difficulty; PostgreSQL index names are per schema.
CREATE INDEX idx_learning_tracks_difficulty ON learning_tracks (difficulty);

CREATE TABLE questions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    operand1 INTEGER NOT NULL,
    operand2 INTEGER NOT NULL,
    operand3 INTEGER,
    operation VARCHAR(10) NOT NULL,
    operation2 VARCHAR(10),
    correct_answer DECIMAL(10,2) NOT NULL,
    difficulty VARCHAR(20) NOT NULL,
    category VARCHAR(50) NOT NULL,
    track_id UUID REFERENCES learning_tracks(id),
    sequence_number INTEGER NOT NULL,
    display_format VARCHAR(20) DEFAULT 'horizontal',
    units VARCHAR(50),
    hint TEXT,
    explanation TEXT,
    visual_aid_url TEXT,
    tags TEXT[],
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_track_sequence ON questions (track_id, sequence_number);
CREATE INDEX idx_difficulty ON questions (difficulty);
CREATE INDEX idx_operation ON questions (operation);
CREATE INDEX idx_operands ON questions (operand1, operand2, operation);
-- For grid visualization (seed, "Composite Indexes").
CREATE INDEX idx_grid_lookup ON questions (operand1, operand2, operation)
    WHERE operation IN ('+', '-', '×', '÷');

CREATE TABLE track_sections (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    track_id UUID REFERENCES learning_tracks(id) NOT NULL,
    name VARCHAR(100) NOT NULL,
    sequence_number INTEGER NOT NULL,
    question_ids UUID[],
    mastery_required DECIMAL(3,2) DEFAULT 0.80,
    minimum_accuracy DECIMAL(5,2) DEFAULT 70.00,
    is_completed BOOLEAN DEFAULT false,
    completion_date TIMESTAMP,
    UNIQUE (track_id, sequence_number)
);
CREATE INDEX idx_track_sections ON track_sections (track_id, sequence_number);

CREATE TABLE practice_sessions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID REFERENCES users(id) NOT NULL,
    mode VARCHAR(20) NOT NULL,
    config JSONB NOT NULL,
    start_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    end_time TIMESTAMP,
    total_duration INTEGER, -- minutes
    paused_duration INTEGER DEFAULT 0,
    total_questions INTEGER DEFAULT 0,
    questions_answered INTEGER DEFAULT 0,
    correct_answers INTEGER DEFAULT 0,
    accuracy DECIMAL(5,2),
    average_response_time INTEGER,
    mastery_gained DECIMAL(5,2) DEFAULT 0.00,
    new_mastered_facts TEXT[],
    status VARCHAR(20) DEFAULT 'active',
    current_question_index INTEGER DEFAULT 0
);
CREATE INDEX idx_user_sessions ON practice_sessions (user_id, start_time);
CREATE INDEX idx_status ON practice_sessions (status);
CREATE INDEX idx_mode ON practice_sessions (mode);

CREATE TABLE answer_attempts (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    question_id UUID REFERENCES questions(id) NOT NULL,
    user_id UUID REFERENCES users(id) NOT NULL,
    session_id UUID REFERENCES practice_sessions(id) NOT NULL,
    user_answer DECIMAL(10,2) NOT NULL,
    is_correct BOOLEAN NOT NULL,
    correct_answer DECIMAL(10,2) NOT NULL,
    response_time INTEGER NOT NULL, -- milliseconds
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    input_method VARCHAR(20) NOT NULL,
    raw_input TEXT,
    attempt_number INTEGER NOT NULL,
    hints_used INTEGER DEFAULT 0,
    fluency_score DECIMAL(3,2),
    confidence_rating INTEGER CHECK (confidence_rating >= 1 AND confidence_rating <= 5),
    -- Addition: the client's idempotency key; a retry with the same key is not counted twice.
    attempt_id UUID NOT NULL UNIQUE,
    -- Addition, live games only: which question of the room, and the points it scored, so a
    -- room's leaderboard can be rebuilt from PostgreSQL when Redis has lost it.
    question_index INTEGER,
    points INTEGER
);
CREATE INDEX idx_user_question ON answer_attempts (user_id, question_id);
-- Seed: idx_session (session_id) and the "(session_id, timestamp)" session-replay index of its
-- index strategy, as one index: it serves both, and the hot table keeps one index fewer.
CREATE INDEX idx_session ON answer_attempts (session_id, timestamp);
CREATE INDEX idx_timestamp ON answer_attempts (timestamp);
CREATE INDEX idx_correct ON answer_attempts (is_correct);

CREATE TABLE question_progress (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    question_id UUID REFERENCES questions(id) NOT NULL,
    user_id UUID REFERENCES users(id) NOT NULL,
    total_attempts INTEGER DEFAULT 0,
    correct_attempts INTEGER DEFAULT 0,
    incorrect_attempts INTEGER DEFAULT 0,
    average_response_time INTEGER, -- milliseconds
    best_response_time INTEGER,
    last_response_time INTEGER,
    first_attempt_date TIMESTAMP,
    last_attempt_date TIMESTAMP,
    mastery DECIMAL(3,2) DEFAULT 0.00,
    fluency_level VARCHAR(20) DEFAULT 'not_started',
    current_streak INTEGER DEFAULT 0,
    best_streak INTEGER DEFAULT 0,
    recent_attempts JSONB, -- Last 5 attempts
    next_review_date DATE,
    review_interval INTEGER, -- days
    ease_factor DECIMAL(3,2) DEFAULT 2.50,
    UNIQUE (question_id, user_id)
);
CREATE INDEX idx_user_mastery ON question_progress (user_id, mastery);
CREATE INDEX idx_review_date ON question_progress (next_review_date);
CREATE INDEX idx_fluency ON question_progress (fluency_level);
-- For progress queries (seed, "Composite Indexes").
CREATE INDEX idx_user_progress ON question_progress (user_id, fluency_level, mastery);

CREATE TABLE user_statistics (
    user_id UUID PRIMARY KEY REFERENCES users(id),
    total_practice_time INTEGER DEFAULT 0, -- minutes
    daily_practice_time INTEGER DEFAULT 0,
    weekly_practice_time INTEGER DEFAULT 0,
    monthly_practice_time INTEGER DEFAULT 0,
    current_streak INTEGER DEFAULT 0,
    longest_streak INTEGER DEFAULT 0,
    total_questions_answered INTEGER DEFAULT 0,
    total_correct_answers INTEGER DEFAULT 0,
    overall_accuracy DECIMAL(5,2) DEFAULT 0.00,
    average_response_time INTEGER DEFAULT 0,
    total_mastered_facts INTEGER DEFAULT 0,
    facts_by_fluency_level JSONB,
    performance_by_operation JSONB,
    achievements_unlocked TEXT[],
    current_level INTEGER DEFAULT 1,
    experience_points INTEGER DEFAULT 0,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
-- For leaderboards (seed, "Composite Indexes").
CREATE INDEX idx_leaderboard ON user_statistics (total_mastered_facts DESC, overall_accuracy DESC);

CREATE TABLE user_track_progress (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID REFERENCES users(id) NOT NULL,
    track_id UUID REFERENCES learning_tracks(id) NOT NULL,
    started_date TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    completed_date TIMESTAMP,
    current_section_id UUID REFERENCES track_sections(id),
    mastered_questions INTEGER DEFAULT 0,
    total_time_spent INTEGER DEFAULT 0, -- minutes
    is_unlocked BOOLEAN DEFAULT false,
    UNIQUE (user_id, track_id)
);
CREATE INDEX idx_user_tracks ON user_track_progress (user_id, track_id);

CREATE TABLE daily_practice_summaries (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID REFERENCES users(id) NOT NULL,
    date DATE NOT NULL,
    total_minutes INTEGER DEFAULT 0,
    sessions INTEGER DEFAULT 0,
    questions_answered INTEGER DEFAULT 0,
    correct_answers INTEGER DEFAULT 0,
    accuracy DECIMAL(5,2),
    average_response_time INTEGER,
    facts_reviewed INTEGER DEFAULT 0,
    new_facts_learned INTEGER DEFAULT 0,
    facts_mastered INTEGER DEFAULT 0,
    time_by_mode JSONB,
    daily_goal_met BOOLEAN DEFAULT false,
    current_streak INTEGER DEFAULT 0,
    UNIQUE (user_id, date)
);
CREATE INDEX idx_user_date ON daily_practice_summaries (user_id, date);

CREATE TABLE learning_events (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    type VARCHAR(50) NOT NULL,
    user_id UUID REFERENCES users(id) NOT NULL,
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    payload JSONB NOT NULL,
    device_info JSONB
);
CREATE INDEX idx_user_events ON learning_events (user_id, timestamp);
CREATE INDEX idx_event_type ON learning_events (type);
-- The seed names two indexes idx_timestamp; PostgreSQL index names are per schema.
CREATE INDEX idx_learning_events_timestamp ON learning_events (timestamp);
