"""The models in persistence/models.py and the migrated database must not drift apart."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from persistence.models import Base


def _diff(connection):
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


async def test_models_match_the_migrated_schema(db):
    async with db.engine.connect() as connection:
        differences = await connection.run_sync(_diff)
    assert differences == []
