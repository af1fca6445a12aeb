"""The seed's 11 tables, their indexes and the calculate_mastery() trigger.

Revision ID: 0001
Revises:
"""

from alembic import op

from persistence.migration_helpers import drop_tables, run_sql_file

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SEED_TABLES = (
    "learning_events", "daily_practice_summaries", "user_track_progress", "user_statistics",
    "question_progress", "answer_attempts", "practice_sessions", "track_sections",
    "questions", "learning_tracks", "users",
)


def upgrade() -> None:
    run_sql_file("schema/0001_seed_tables.sql")
    run_sql_file("calculate_mastery.sql")


def downgrade() -> None:
    drop_tables(SEED_TABLES)
    op.execute("DROP FUNCTION IF EXISTS calculate_mastery()")
