"""The migrated database and sql/schema_snapshot.txt must not drift apart.

The migrations are the one source of the schema; the snapshot is what they build, written by
`python -m tests.support.schema_snapshot` and reviewed with the migration that changes it.
"""

from __future__ import annotations

import difflib

from tests.support.schema_snapshot import SNAPSHOT, describe_database


async def test_the_migrations_build_the_schema_in_the_snapshot(database_url):
    built = await describe_database(database_url)
    expected = SNAPSHOT.read_text()
    difference = "".join(difflib.unified_diff(
        expected.splitlines(keepends=True), built.splitlines(keepends=True),
        "sql/schema_snapshot.txt", "the migrated database"))
    assert not difference, (
        "the migrations and sql/schema_snapshot.txt disagree; if the migration is right, run "
        "`python -m tests.support.schema_snapshot` and review the change:\n" + difference)
