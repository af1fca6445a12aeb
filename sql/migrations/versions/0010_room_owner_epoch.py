"""Room ownership fenced by PostgreSQL: rooms.owner_epoch and rooms.owner_worker.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

from persistence.migration_helpers import run_sql_file

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("schema/0010_room_owner_epoch.sql")


def downgrade() -> None:
    op.execute("ALTER TABLE rooms DROP COLUMN IF EXISTS owner_worker")
    op.execute("ALTER TABLE rooms DROP COLUMN IF EXISTS owner_epoch")
