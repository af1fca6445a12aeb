"""Teacher accounts and tokens, class rosters, live rooms, the free-standing fact key.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from persistence.migration_helpers import drop_tables, run_sql_file

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("schema/0002_product_tables.sql")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS idx_free_fact")
    drop_tables(("room_questions", "room_players", "rooms", "class_students", "classes",
                 "auth_tokens", "teacher_accounts"))
