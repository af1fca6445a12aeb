"""One fact, one question row: the track_facts view and merge_duplicate_facts(), run once.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

from persistence.migration_helpers import run_sql_file

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("schema/0009_one_fact_one_row.sql")


def downgrade() -> None:
    # Merged rows stay merged: their answers now name the one row of their fact.
    op.execute("DROP FUNCTION IF EXISTS merge_duplicate_facts()")
    op.execute("DROP VIEW IF EXISTS track_facts")
