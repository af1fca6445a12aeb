"""Team mode: room_teams, room_players.team_index and first_question; rooms.class_id.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

from persistence.migration_helpers import run_sql_file

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("schema/0013_teams.sql")


def downgrade() -> None:
    op.execute("ALTER TABLE room_players DROP CONSTRAINT IF EXISTS room_players_team_fkey")
    op.execute("ALTER TABLE room_players DROP COLUMN IF EXISTS first_question")
    op.execute("ALTER TABLE room_players DROP COLUMN IF EXISTS team_index")
    op.execute("DROP TABLE IF EXISTS room_teams")
    op.execute("ALTER TABLE rooms DROP COLUMN IF EXISTS class_id")
