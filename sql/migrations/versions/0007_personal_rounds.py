"""Personal rounds: rooms.personal_rounds and room_personal_questions.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

from persistence.migration_helpers import drop_tables, run_sql_file

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("schema/0007_personal_rounds.sql")


def downgrade() -> None:
    drop_tables(("room_personal_questions",))
    op.execute("ALTER TABLE rooms DROP CONSTRAINT IF EXISTS rooms_personal_rounds_track_check")
    op.execute("ALTER TABLE rooms DROP COLUMN IF EXISTS personal_rounds")
