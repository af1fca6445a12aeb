"""Exact millisecond totals and the streak anchor date for the answer flow.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from persistence.migration_helpers import run_sql_file

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("schema/0003_answer_flow_totals.sql")


def downgrade() -> None:
    for table in ("question_progress", "practice_sessions", "daily_practice_summaries"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS total_response_time")
    op.execute("ALTER TABLE user_statistics DROP COLUMN IF EXISTS total_response_time, "
               "DROP COLUMN IF EXISTS last_practice_date, DROP COLUMN IF EXISTS daily_practice_ms, "
               "DROP COLUMN IF EXISTS weekly_practice_ms, DROP COLUMN IF EXISTS monthly_practice_ms")
