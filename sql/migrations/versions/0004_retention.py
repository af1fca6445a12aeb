"""Retention: the answer-attempt archive, daily learning-event counts, trimmed sessions.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from persistence.migration_helpers import drop_tables, run_sql_file

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("schema/0004_retention.sql")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS idx_sessions_untrimmed")
    op.execute("ALTER TABLE practice_sessions DROP COLUMN IF EXISTS details_trimmed_at")
    drop_tables(("learning_event_daily_counts", "answer_attempts_archive"))
