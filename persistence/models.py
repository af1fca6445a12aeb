"""Typed SQLAlchemy models of every table.

The migrations in sql/ are the source of truth for the schema; these models mirror them for
queries, and tests/persistence/test_schema_drift.py fails the moment the two disagree.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    CHAR,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

GEN_UUID = text("gen_random_uuid()")
NOW = text("CURRENT_TIMESTAMP")


class Base(DeclarativeBase):
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads this class attribute)
        uuid.UUID: UUID(as_uuid=True),
        dt.datetime: DateTime(timezone=False),
        dt.date: Date(),
        dict[str, Any]: JSONB(),
        list[Any]: JSONB(),
    }


def _pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, server_default=GEN_UUID)


# --- the seed's 11 tables ---------------------------------------------------------------


class User(Base):
    __tablename__ = "users"
    id: Mapped[uuid.UUID] = _pk()
    username: Mapped[str] = mapped_column(String(50), unique=True)
    email: Mapped[str | None] = mapped_column(String(255), unique=True)
    age: Mapped[int | None] = mapped_column(Integer)
    grade_level: Mapped[str | None] = mapped_column(String(20))
    preferred_input_method: Mapped[str | None] = mapped_column(
        String(20), server_default=text("'keyboard'::character varying"))
    daily_goal_minutes: Mapped[int | None] = mapped_column(Integer, server_default=text("15"))
    reminder_time: Mapped[dt.time | None] = mapped_column(Time)
    font_size: Mapped[str | None] = mapped_column(
        String(10), server_default=text("'medium'::character varying"))
    color_scheme: Mapped[str | None] = mapped_column(
        String(20), server_default=text("'default'::character varying"))
    sound_effects: Mapped[bool | None] = mapped_column(Boolean, server_default=text("true"))
    voice_feedback: Mapped[bool | None] = mapped_column(Boolean, server_default=text("false"))
    show_hints: Mapped[bool | None] = mapped_column(Boolean, server_default=text("true"))
    adaptive_learning: Mapped[bool | None] = mapped_column(Boolean, server_default=text("true"))
    spaced_repetition: Mapped[bool | None] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[dt.datetime | None] = mapped_column(server_default=NOW)
    last_active: Mapped[dt.datetime | None] = mapped_column(server_default=NOW)
    role: Mapped[str] = mapped_column(
        String(20), server_default=text("'student'::character varying"))

    __table_args__ = (
        CheckConstraint("role IN ('student', 'guest', 'teacher')", name="users_role_check"),
        Index("idx_username", "username"),
        Index("idx_email", "email"),
        Index("idx_last_active", "last_active"),
    )


class LearningTrack(Base):
    __tablename__ = "learning_tracks"
    id: Mapped[uuid.UUID] = _pk()
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    grade_level: Mapped[str | None] = mapped_column(String(20))
    difficulty: Mapped[str] = mapped_column(String(20))
    estimated_duration: Mapped[int | None] = mapped_column(Integer)
    operations: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    operand_ranges: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    total_questions: Mapped[int] = mapped_column(Integer)
    prerequisite_track_ids: Mapped[list[uuid.UUID] | None] = mapped_column(
        ARRAY(UUID(as_uuid=True)))
    icon_url: Mapped[str | None] = mapped_column(Text)
    color: Mapped[str | None] = mapped_column(String(7))
    is_locked: Mapped[bool | None] = mapped_column(Boolean, server_default=text("true"))
    unlock_criteria: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime | None] = mapped_column(server_default=NOW)

    __table_args__ = (
        Index("idx_grade_level", "grade_level"),
        Index("idx_learning_tracks_difficulty", "difficulty"),
    )


class Question(Base):
    __tablename__ = "questions"
    id: Mapped[uuid.UUID] = _pk()
    operand1: Mapped[int] = mapped_column(Integer)
    operand2: Mapped[int] = mapped_column(Integer)
    operand3: Mapped[int | None] = mapped_column(Integer)
    operation: Mapped[str] = mapped_column(String(10))
    operation2: Mapped[str | None] = mapped_column(String(10))
    correct_answer: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    difficulty: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(50))
    track_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("learning_tracks.id"))
    sequence_number: Mapped[int] = mapped_column(Integer)
    display_format: Mapped[str | None] = mapped_column(
        String(20), server_default=text("'horizontal'::character varying"))
    units: Mapped[str | None] = mapped_column(String(50))
    hint: Mapped[str | None] = mapped_column(Text)
    explanation: Mapped[str | None] = mapped_column(Text)
    visual_aid_url: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    created_at: Mapped[dt.datetime | None] = mapped_column(server_default=NOW)
    updated_at: Mapped[dt.datetime | None] = mapped_column(server_default=NOW)

    __table_args__ = (
        Index("idx_track_sequence", "track_id", "sequence_number"),
        Index("idx_difficulty", "difficulty"),
        Index("idx_operation", "operation"),
        Index("idx_operands", "operand1", "operand2", "operation"),
        Index("idx_grid_lookup", "operand1", "operand2", "operation",
              postgresql_where=text("operation IN ('+', '-', '×', '÷')")),
        Index("idx_track_fact", "track_id", "operand1", "operand2", "operation", unique=True,
              postgresql_where=text("track_id IS NOT NULL AND operand3 IS NULL")),
        Index("idx_free_fact", "operand1", "operand2", "operation", unique=True,
              postgresql_where=text("track_id IS NULL AND operand3 IS NULL")),
    )


class TrackSection(Base):
    __tablename__ = "track_sections"
    id: Mapped[uuid.UUID] = _pk()
    track_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("learning_tracks.id"))
    name: Mapped[str] = mapped_column(String(100))
    sequence_number: Mapped[int] = mapped_column(Integer)
    question_ids: Mapped[list[uuid.UUID] | None] = mapped_column(ARRAY(UUID(as_uuid=True)))
    mastery_required: Mapped[Decimal | None] = mapped_column(
        Numeric(3, 2), server_default=text("0.80"))
    minimum_accuracy: Mapped[Decimal | None] = mapped_column(
        Numeric(5, 2), server_default=text("70.00"))
    is_completed: Mapped[bool | None] = mapped_column(Boolean, server_default=text("false"))
    completion_date: Mapped[dt.datetime | None] = mapped_column()

    __table_args__ = (
        UniqueConstraint("track_id", "sequence_number"),
        Index("idx_track_sections", "track_id", "sequence_number"),
    )


class PracticeSession(Base):
    __tablename__ = "practice_sessions"
    id: Mapped[uuid.UUID] = _pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    mode: Mapped[str] = mapped_column(String(20))
    config: Mapped[dict[str, Any]] = mapped_column(JSONB)
    start_time: Mapped[dt.datetime | None] = mapped_column(server_default=NOW)
    end_time: Mapped[dt.datetime | None] = mapped_column()
    total_duration: Mapped[int | None] = mapped_column(Integer)
    paused_duration: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    total_questions: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    questions_answered: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    correct_answers: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    accuracy: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    average_response_time: Mapped[int | None] = mapped_column(Integer)
    mastery_gained: Mapped[Decimal | None] = mapped_column(
        Numeric(5, 2), server_default=text("0.00"))
    new_mastered_facts: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    status: Mapped[str | None] = mapped_column(
        String(20), server_default=text("'active'::character varying"))
    current_question_index: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    # Retention (0004): set once the session's details were trimmed after six months.
    details_trimmed_at: Mapped[dt.datetime | None] = mapped_column()
    # Migration 0003: the exact millisecond sum behind the rounded averages.
    total_response_time: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))

    __table_args__ = (
        Index("idx_user_sessions", "user_id", "start_time"),
        Index("idx_status", "status"),
        Index("idx_mode", "mode"),
        Index("idx_sessions_untrimmed", "start_time",
              postgresql_where=text("details_trimmed_at IS NULL")),
        # Migration 0006: room on each page for the answer flow's HOT updates.
        {"postgresql_with": {"fillfactor": 70}},
    )


class AnswerAttempt(Base):
    __tablename__ = "answer_attempts"
    id: Mapped[uuid.UUID] = _pk()
    question_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("questions.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practice_sessions.id"))
    user_answer: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    is_correct: Mapped[bool] = mapped_column(Boolean)
    correct_answer: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    response_time: Mapped[int] = mapped_column(Integer)
    timestamp: Mapped[dt.datetime | None] = mapped_column(server_default=NOW)
    input_method: Mapped[str] = mapped_column(String(20))
    raw_input: Mapped[str | None] = mapped_column(Text)
    attempt_number: Mapped[int] = mapped_column(Integer)
    hints_used: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    fluency_score: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    confidence_rating: Mapped[int | None] = mapped_column(Integer)
    attempt_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    question_index: Mapped[int | None] = mapped_column(Integer)
    points: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("confidence_rating >= 1 AND confidence_rating <= 5",
                        name="answer_attempts_confidence_rating_check"),
        Index("idx_user_question", "user_id", "question_id"),
        Index("idx_session", "session_id", "timestamp"),
        Index("idx_timestamp", "timestamp"),
        Index("idx_correct", "is_correct"),
    )


class QuestionProgress(Base):
    __tablename__ = "question_progress"
    id: Mapped[uuid.UUID] = _pk()
    question_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("questions.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    total_attempts: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    correct_attempts: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    incorrect_attempts: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    average_response_time: Mapped[int | None] = mapped_column(Integer)
    best_response_time: Mapped[int | None] = mapped_column(Integer)
    last_response_time: Mapped[int | None] = mapped_column(Integer)
    first_attempt_date: Mapped[dt.datetime | None] = mapped_column()
    last_attempt_date: Mapped[dt.datetime | None] = mapped_column()
    mastery: Mapped[Decimal | None] = mapped_column(Numeric(3, 2), server_default=text("0.00"))
    fluency_level: Mapped[str | None] = mapped_column(
        String(20), server_default=text("'not_started'::character varying"))
    current_streak: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    best_streak: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    recent_attempts: Mapped[list[Any] | None] = mapped_column(JSONB)
    next_review_date: Mapped[dt.date | None] = mapped_column()
    review_interval: Mapped[int | None] = mapped_column(Integer)
    ease_factor: Mapped[Decimal | None] = mapped_column(
        Numeric(3, 2), server_default=text("2.50"))
    # Migration 0003: the exact millisecond sum behind the rounded averages.
    total_response_time: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))

    __table_args__ = (
        UniqueConstraint("question_id", "user_id"),
        Index("idx_user_mastery", "user_id", "mastery"),
        Index("idx_review_date", "next_review_date"),
        Index("idx_fluency", "fluency_level"),
        Index("idx_user_progress", "user_id", "fluency_level", "mastery"),
    )


class UserStatistics(Base):
    __tablename__ = "user_statistics"
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    total_practice_time: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    daily_practice_time: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    weekly_practice_time: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    monthly_practice_time: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    current_streak: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    longest_streak: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    total_questions_answered: Mapped[int | None] = mapped_column(
        Integer, server_default=text("0"))
    total_correct_answers: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    overall_accuracy: Mapped[Decimal | None] = mapped_column(
        Numeric(5, 2), server_default=text("0.00"))
    average_response_time: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    total_mastered_facts: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    facts_by_fluency_level: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    performance_by_operation: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    achievements_unlocked: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    current_level: Mapped[int | None] = mapped_column(Integer, server_default=text("1"))
    experience_points: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    updated_at: Mapped[dt.datetime | None] = mapped_column(server_default=NOW)
    # Migration 0003: exact totals and the anchor of the day streak and period counters.
    total_response_time: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    last_practice_date: Mapped[dt.date | None] = mapped_column(Date)
    daily_practice_ms: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    weekly_practice_ms: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    monthly_practice_ms: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))

    __table_args__ = (
        Index("idx_leaderboard", text("total_mastered_facts DESC"), text("overall_accuracy DESC")),
    )


class UserTrackProgress(Base):
    __tablename__ = "user_track_progress"
    id: Mapped[uuid.UUID] = _pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    track_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("learning_tracks.id"))
    started_date: Mapped[dt.datetime | None] = mapped_column(server_default=NOW)
    completed_date: Mapped[dt.datetime | None] = mapped_column()
    current_section_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("track_sections.id"))
    mastered_questions: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    total_time_spent: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    is_unlocked: Mapped[bool | None] = mapped_column(Boolean, server_default=text("false"))

    __table_args__ = (
        UniqueConstraint("user_id", "track_id"),
        Index("idx_user_tracks", "user_id", "track_id"),
    )


class DailyPracticeSummary(Base):
    __tablename__ = "daily_practice_summaries"
    id: Mapped[uuid.UUID] = _pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    total_minutes: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    sessions: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    questions_answered: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    correct_answers: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    accuracy: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    average_response_time: Mapped[int | None] = mapped_column(Integer)
    facts_reviewed: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    new_facts_learned: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    facts_mastered: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    time_by_mode: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    daily_goal_met: Mapped[bool | None] = mapped_column(Boolean, server_default=text("false"))
    current_streak: Mapped[int | None] = mapped_column(Integer, server_default=text("0"))
    # Migration 0003: the exact millisecond sum behind the rounded averages.
    total_response_time: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))

    __table_args__ = (
        UniqueConstraint("user_id", "date"),
        Index("idx_user_date", "user_id", "date"),
        # Migration 0006: room on each page for the answer flow's HOT updates.
        {"postgresql_with": {"fillfactor": 70}},
    )


class LearningEvent(Base):
    __tablename__ = "learning_events"
    id: Mapped[uuid.UUID] = _pk()
    type: Mapped[str] = mapped_column(String(50))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    timestamp: Mapped[dt.datetime | None] = mapped_column(server_default=NOW)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    device_info: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    __table_args__ = (
        Index("idx_user_events", "user_id", "timestamp"),
        Index("idx_event_type", "type"),
        Index("idx_learning_events_timestamp", "timestamp"),
    )


# --- product tables (sql/schema/0002_product_tables.sql) --------------------------------


class TeacherAccount(Base):
    __tablename__ = "teacher_accounts"
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=NOW)


class AuthToken(Base):
    __tablename__ = "auth_tokens"
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=NOW)
    expires_at: Mapped[dt.datetime] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()

    __table_args__ = (Index("idx_auth_tokens_user", "user_id"),)


class SchoolClass(Base):
    __tablename__ = "classes"
    id: Mapped[uuid.UUID] = _pk()
    teacher_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=NOW)

    __table_args__ = (Index("idx_classes_teacher", "teacher_id"),)


class ClassStudent(Base):
    __tablename__ = "class_students"
    class_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(20))
    student_key: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=NOW)

    __table_args__ = (Index("idx_class_students_user", "user_id"),)


class Room(Base):
    __tablename__ = "rooms"
    id: Mapped[uuid.UUID] = _pk()
    teacher_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(CHAR(6))
    title: Mapped[str | None] = mapped_column(String(100))
    operation: Mapped[str] = mapped_column(String(10))
    min_operand: Mapped[int | None] = mapped_column(Integer)
    max_operand: Mapped[int | None] = mapped_column(Integer)
    track_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("learning_tracks.id"))
    question_count: Mapped[int] = mapped_column(Integer)
    time_limit_ms: Mapped[int] = mapped_column(Integer)
    auto_advance_ms: Mapped[int | None] = mapped_column(Integer)
    personal_rounds: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    scoring_mode: Mapped[str] = mapped_column(
        String(20), server_default=text("'speed'::character varying"))
    options: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    screen_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(
        String(20), server_default=text("'lobby'::character varying"))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=NOW)
    started_at: Mapped[dt.datetime | None] = mapped_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column()

    __table_args__ = (
        CheckConstraint("operation IN ('+', '-', '×', '÷')", name="rooms_operation_check"),
        CheckConstraint("question_count BETWEEN 1 AND 100", name="rooms_question_count_check"),
        CheckConstraint("time_limit_ms BETWEEN 3000 AND 120000", name="rooms_time_limit_ms_check"),
        CheckConstraint("status IN ('lobby', 'playing', 'finished')", name="rooms_status_check"),
        CheckConstraint("NOT personal_rounds OR track_id IS NOT NULL",
                        name="rooms_personal_rounds_track_check"),
        Index("idx_rooms_open_code", "code", unique=True,
              postgresql_where=text("status <> 'finished'")),
        Index("idx_rooms_teacher", "teacher_id", "created_at"),
    )


class RoomPlayer(Base):
    __tablename__ = "room_players"
    id: Mapped[uuid.UUID] = _pk()
    room_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("practice_sessions.id", ondelete="CASCADE"))
    nickname: Mapped[str] = mapped_column(String(20))
    join_order: Mapped[int] = mapped_column(Integer)
    joined_at: Mapped[dt.datetime] = mapped_column(server_default=NOW)
    kicked_at: Mapped[dt.datetime | None] = mapped_column()

    __table_args__ = (
        UniqueConstraint("room_id", "user_id"),
        UniqueConstraint("room_id", "join_order"),
    )


class RoomQuestion(Base):
    __tablename__ = "room_questions"
    room_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    question_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("questions.id"))
    opened_at: Mapped[dt.datetime | None] = mapped_column()
    closes_at: Mapped[dt.datetime | None] = mapped_column()
    closed_at: Mapped[dt.datetime | None] = mapped_column()


class RoomPersonalQuestion(Base):
    """Personal rounds (sql/schema/0007_personal_rounds.sql): each player's own fact."""

    __tablename__ = "room_personal_questions"
    room_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    question_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    player_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("room_players.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("questions.id"))

    __table_args__ = (
        ForeignKeyConstraint(["room_id", "question_index"],
                             ["room_questions.room_id", "room_questions.question_index"],
                             ondelete="CASCADE"),
    )


# --- retention tables (sql/schema/0004_retention.sql) -------------------------------------


class AnswerAttemptArchive(Base):
    """answer_attempts rows older than two years: the same columns, plus archived_at."""

    __tablename__ = "answer_attempts_archive"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    question_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("questions.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practice_sessions.id"))
    user_answer: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    is_correct: Mapped[bool] = mapped_column(Boolean)
    correct_answer: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    response_time: Mapped[int] = mapped_column(Integer)
    timestamp: Mapped[dt.datetime | None] = mapped_column()
    input_method: Mapped[str] = mapped_column(String(20))
    raw_input: Mapped[str | None] = mapped_column(Text)
    attempt_number: Mapped[int] = mapped_column(Integer)
    hints_used: Mapped[int | None] = mapped_column(Integer)
    fluency_score: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    confidence_rating: Mapped[int | None] = mapped_column(Integer)
    attempt_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    question_index: Mapped[int | None] = mapped_column(Integer)
    points: Mapped[int | None] = mapped_column(Integer)
    archived_at: Mapped[dt.datetime] = mapped_column(server_default=NOW)

    __table_args__ = (
        Index("idx_attempts_archive_timestamp", "timestamp"),
        Index("idx_attempts_archive_user", "user_id", "timestamp"),
    )


class LearningEventDailyCount(Base):
    """What is left of learning events older than 90 days: counts per user, day and type."""

    __tablename__ = "learning_event_daily_counts"
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    type: Mapped[str] = mapped_column(String(50), primary_key=True)
    event_count: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("event_count > 0", name="learning_event_daily_counts_event_count_check"),
    )


# --- curriculum (sql/schema/0005_curriculum.sql) ----------------------------------------


class UserSectionProgress(Base):
    __tablename__ = "user_section_progress"
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    section_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("track_sections.id", ondelete="CASCADE"), primary_key=True)
    track_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("learning_tracks.id", ondelete="CASCADE"))
    average_mastery: Mapped[Decimal] = mapped_column(Numeric(3, 2), server_default=text("0.00"))
    accuracy: Mapped[Decimal] = mapped_column(Numeric(5, 2), server_default=text("0.00"))
    mastered_questions: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    total_response_time: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    is_completed: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    completion_date: Mapped[dt.datetime | None] = mapped_column()
    source: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=NOW)

    __table_args__ = (
        CheckConstraint("source IN ('practice', 'placement')",
                        name="user_section_progress_source_check"),
        Index("idx_user_section_progress_track", "user_id", "track_id"),
    )
