"""One scored answer per player per live question: a unique partial index on answer_attempts.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

from persistence.migration_helpers import run_sql_file

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("schema/0008_one_answer_per_question.sql")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS idx_attempts_one_per_question")
