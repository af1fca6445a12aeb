"""Fact families: a GIN index on questions.tags.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

from persistence.migration_helpers import run_sql_file

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("schema/0011_fact_family_index.sql")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS idx_question_tags")
