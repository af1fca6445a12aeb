"""Teacher controls and display preferences: student_settings, rooms.scoring_mode's values,
users.font_family and users.palette.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

from persistence.migration_helpers import drop_tables, run_sql_file

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("schema/0012_student_settings.sql")


def downgrade() -> None:
    drop_tables(("student_settings",))
    op.execute("ALTER TABLE rooms DROP CONSTRAINT IF EXISTS rooms_scoring_mode_check")
    op.execute("ALTER TABLE users DROP COLUMN IF EXISTS font_family, DROP COLUMN IF EXISTS palette")
