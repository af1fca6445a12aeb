"""Answer flow: fillfactor 70 on practice_sessions and daily_practice_summaries (HOT updates).

Revision ID: 0006
Revises: 0005
"""

from alembic import op

from persistence.migration_helpers import run_sql_file

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("schema/0006_flow_fillfactor.sql")


def downgrade() -> None:
    op.execute("ALTER TABLE practice_sessions RESET (fillfactor)")
    op.execute("ALTER TABLE daily_practice_summaries RESET (fillfactor)")
