-- What the product needs beyond the seed: teacher credentials and tokens, class rosters,
-- live rooms and their players and questions, and a free-standing bank of facts.
-- Reasons are in docs/schema.md.

CREATE TABLE teacher_accounts (
    user_id UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL, -- argon2id
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- Bearer tokens are random; only their SHA-256 is stored, so a database leak yields none.
CREATE TABLE auth_tokens (
    token_hash BYTEA PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX idx_auth_tokens_user ON auth_tokens (user_id);

CREATE TABLE classes (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    teacher_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name VARCHAR(100) NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_classes_teacher ON classes (teacher_id);

-- A roster entry: the student's pseudonymous user and the key they join with.
CREATE TABLE class_students (
    class_id UUID NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    display_name VARCHAR(20) NOT NULL,
    student_key VARCHAR(16) NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (class_id, user_id)
);
CREATE INDEX idx_class_students_user ON class_students (user_id);

CREATE TABLE rooms (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    teacher_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code CHAR(6) NOT NULL,
    title VARCHAR(100),
    operation VARCHAR(10) NOT NULL CHECK (operation IN ('+', '-', '×', '÷')),
    min_operand INTEGER,
    max_operand INTEGER,
    track_id UUID REFERENCES learning_tracks(id),
    question_count INTEGER NOT NULL CHECK (question_count BETWEEN 1 AND 100),
    time_limit_ms INTEGER NOT NULL CHECK (time_limit_ms BETWEEN 3000 AND 120000),
    auto_advance_ms INTEGER,
    scoring_mode VARCHAR(20) NOT NULL DEFAULT 'speed',
    options JSONB NOT NULL DEFAULT '{}'::jsonb,
    screen_key VARCHAR(64) NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'lobby'
        CHECK (status IN ('lobby', 'playing', 'finished')),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    started_at TIMESTAMP,
    finished_at TIMESTAMP
);
-- Join codes are unique among rooms that are still open; finished rooms free their code.
CREATE UNIQUE INDEX idx_rooms_open_code ON rooms (code) WHERE status <> 'finished';
CREATE INDEX idx_rooms_teacher ON rooms (teacher_id, created_at);

CREATE TABLE room_players (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(), -- the wire's player_id
    room_id UUID NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_id UUID NOT NULL REFERENCES practice_sessions(id) ON DELETE CASCADE,
    nickname VARCHAR(20) NOT NULL,
    join_order INTEGER NOT NULL,
    joined_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    kicked_at TIMESTAMP,
    UNIQUE (room_id, user_id),
    UNIQUE (room_id, join_order)
);

CREATE TABLE room_questions (
    room_id UUID NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    question_index INTEGER NOT NULL,
    question_id UUID NOT NULL REFERENCES questions(id),
    opened_at TIMESTAMP,
    closes_at TIMESTAMP,
    closed_at TIMESTAMP,
    PRIMARY KEY (room_id, question_index)
);

-- Facts outside any track (a room's operand range) are found or created race-free by this key.
CREATE UNIQUE INDEX idx_free_fact ON questions (operand1, operand2, operation)
    WHERE track_id IS NULL AND operand3 IS NULL;
