"""Curriculum: per-student section completion, unique facts per track.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from persistence.migration_helpers import drop_tables, run_sql_file

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("schema/0005_curriculum.sql")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS idx_track_fact")
    drop_tables(("user_section_progress",))
