"""The seed's schema, exactly: every table, column, type, default, constraint and index."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import asyncpg
import pytest

from persistence.migrations import migrate_async
from tests.support import databases, services

# The seed's SQL as the seed states it, kept in the repository (the file says where it came from).
SEED = Path(__file__).resolve().parents[2] / "docs" / "seed" / "schema.sql"

# The seed's columns, parsed from its CREATE TABLE blocks so this test reads the source itself.
CREATE_TABLE = re.compile(r"CREATE TABLE (\w+) \((.*?)\n\);", re.S)
# Seed index names that PostgreSQL cannot share between two tables (docs/schema.md).
RENAMED_INDEXES = {("learning_tracks", "idx_difficulty"): "idx_learning_tracks_difficulty",
                   ("learning_events", "idx_timestamp"): "idx_learning_events_timestamp"}
SEED_TYPES = {
    "UUID": "uuid", "INTEGER": "integer", "TEXT": "text", "BOOLEAN": "boolean",
    "TIMESTAMP": "timestamp without time zone", "DATE": "date", "JSONB": "jsonb",
    "TIME": "time without time zone", "TEXT[]": "ARRAY", "UUID[]": "ARRAY",
}


def _seed_tables() -> dict[str, dict]:
    text = SEED.read_text(encoding="utf-8")
    tables = {}
    for name, body in CREATE_TABLE.findall(text):
        columns, indexes = {}, []
        for raw in body.splitlines():
            line = raw.split("--")[0].strip().rstrip(",")
            if not line:
                continue
            if line.startswith("INDEX"):
                idx = re.match(r"INDEX (\w+) \((.*)\)", line)
                indexes.append((idx.group(1), [c.strip() for c in idx.group(2).split(",")]))
            elif line.startswith("UNIQUE("):
                continue
            else:
                col, col_type, *rest = line.split()
                columns[col] = {"type": col_type, "rest": " ".join(rest)}
        tables[name] = {"columns": columns, "indexes": indexes}
    return tables


@pytest.fixture(scope="module")
def seed_tables():
    if not SEED.exists():
        pytest.fail(f"the seed document is missing at {SEED}")
    tables = _seed_tables()
    assert len(tables) == 11
    return tables


@pytest.fixture(scope="module")
async def catalog(database_url):
    conn = await asyncpg.connect(database_url)
    try:
        columns = await conn.fetch(
            "SELECT table_name, column_name, data_type, character_maximum_length, "
            "numeric_precision, numeric_scale, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = 'public'")
        indexes = await conn.fetch(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {
        "columns": {(r["table_name"], r["column_name"]): r for r in columns},
        "indexes": {r["indexname"]: r for r in indexes},
    }


def _expected_type(seed_type: str) -> tuple[str, int | None, int | None]:
    if m := re.fullmatch(r"VARCHAR\((\d+)\)", seed_type):
        return "character varying", int(m.group(1)), None
    if m := re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", seed_type):
        return "numeric", int(m.group(1)), int(m.group(2))
    return SEED_TYPES[seed_type], None, None


async def test_every_seed_column_has_its_type_nullability_and_default(seed_tables, catalog):
    for table, spec in seed_tables.items():
        for column, seed in spec["columns"].items():
            row = catalog["columns"].get((table, column))
            assert row is not None, f"{table}.{column} is missing"
            data_type, length, scale = _expected_type(seed["type"])
            assert row["data_type"] == data_type, (table, column, row["data_type"])
            if data_type == "character varying":
                assert row["character_maximum_length"] == length, (table, column)
            if data_type == "numeric":
                assert (row["numeric_precision"], row["numeric_scale"]) == (length, scale)
            required = "NOT NULL" in seed["rest"] or "PRIMARY KEY" in seed["rest"]
            if (table, column) == ("users", "email"):
                required = False  # deviation: students give no email (docs/schema.md)
            assert (row["is_nullable"] == "NO") == required, (table, column)
            if m := re.search(r"DEFAULT (\S+)", seed["rest"]):
                default = row["column_default"] or ""
                wanted = m.group(1).strip("'").lower()
                assert wanted.replace("()", "") in default.lower(), (table, column, default)


async def test_every_seed_index_exists_on_its_columns(seed_tables, catalog):
    for table, spec in seed_tables.items():
        for name, columns in spec["indexes"]:
            name = RENAMED_INDEXES.get((table, name), name)
            index = catalog["indexes"].get(name)
            assert index is not None, f"index {name} on {table} is missing"
            assert index["tablename"] == table
            defined = re.search(r"\((.*)\)", index["indexdef"]).group(1)
            assert [c.strip() for c in defined.split(",")][: len(columns)] == [
                c if c != "timestamp" else '"timestamp"' for c in columns], (name, defined)


async def test_composite_and_partial_indexes_from_the_seed(catalog):
    grid = catalog["indexes"]["idx_grid_lookup"]["indexdef"]
    assert "(operand1, operand2, operation)" in grid and "WHERE" in grid
    for symbol in ("+", "-", "×", "÷"):
        assert f"'{symbol}'" in grid
    assert "(user_id, fluency_level, mastery)" in catalog["indexes"]["idx_user_progress"]["indexdef"]
    assert ("(total_mastered_facts DESC, overall_accuracy DESC)"
            in catalog["indexes"]["idx_leaderboard"]["indexdef"])


async def test_constraints_unique_foreign_keys_and_check(database_url):
    conn = await asyncpg.connect(database_url)
    try:
        constraints = {
            (r["table"], r["type"], r["definition"])
            for r in await conn.fetch(
                "SELECT conrelid::regclass::text AS table, contype::text AS type, "
                "pg_get_constraintdef(oid) AS definition FROM pg_constraint "
                "WHERE connamespace = 'public'::regnamespace")
        }
    finally:
        await conn.close()
    expected = [
        ("question_progress", "u", "UNIQUE (question_id, user_id)"),
        ("track_sections", "u", "UNIQUE (track_id, sequence_number)"),
        ("user_track_progress", "u", "UNIQUE (user_id, track_id)"),
        ("daily_practice_summaries", "u", "UNIQUE (user_id, date)"),
        ("users", "u", "UNIQUE (username)"),
        ("users", "u", "UNIQUE (email)"),
        ("answer_attempts", "u", "UNIQUE (attempt_id)"),
        ("answer_attempts", "c",
         "CHECK (((confidence_rating >= 1) AND (confidence_rating <= 5)))"),
        ("questions", "f", "FOREIGN KEY (track_id) REFERENCES learning_tracks(id)"),
        ("answer_attempts", "f", "FOREIGN KEY (question_id) REFERENCES questions(id)"),
        ("answer_attempts", "f", "FOREIGN KEY (user_id) REFERENCES users(id)"),
        ("answer_attempts", "f", "FOREIGN KEY (session_id) REFERENCES practice_sessions(id)"),
        ("question_progress", "f", "FOREIGN KEY (question_id) REFERENCES questions(id)"),
        ("question_progress", "f", "FOREIGN KEY (user_id) REFERENCES users(id)"),
        ("user_statistics", "f", "FOREIGN KEY (user_id) REFERENCES users(id)"),
        ("practice_sessions", "f", "FOREIGN KEY (user_id) REFERENCES users(id)"),
        ("track_sections", "f", "FOREIGN KEY (track_id) REFERENCES learning_tracks(id)"),
        ("user_track_progress", "f", "FOREIGN KEY (user_id) REFERENCES users(id)"),
        ("user_track_progress", "f", "FOREIGN KEY (track_id) REFERENCES learning_tracks(id)"),
        ("user_track_progress", "f",
         "FOREIGN KEY (current_section_id) REFERENCES track_sections(id)"),
        ("daily_practice_summaries", "f", "FOREIGN KEY (user_id) REFERENCES users(id)"),
        ("learning_events", "f", "FOREIGN KEY (user_id) REFERENCES users(id)"),
    ]
    for item in expected:
        assert item in constraints, item


async def test_migrate_is_idempotent_and_safe_from_two_processes_at_once(postgres_server_url):
    name = services.unique_name("mathrally_migrate")
    url = await databases.create_database(postgres_server_url, name)
    try:
        # Two concurrent runs on an empty database, then a third on the migrated one.
        await asyncio.gather(
            asyncio.to_thread(_migrate_in_subprocess, url),
            asyncio.to_thread(_migrate_in_subprocess, url),
        )
        await migrate_async(url)
        conn = await asyncpg.connect(url)
        try:
            assert await conn.fetchval("SELECT count(*) FROM alembic_version") == 1
            assert await conn.fetchval("SELECT to_regclass('public.answer_attempts')") is not None
            assert await conn.fetchval(
                "SELECT count(*) FROM pg_trigger WHERE tgname = 'update_mastery'") == 1
        finally:
            await conn.close()
    finally:
        await databases.drop_database(postgres_server_url, name)


def _migrate_in_subprocess(url: str) -> None:
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-c", "import sys; from persistence.migrations import migrate; "
         "migrate(sys.argv[1])", url],
        check=True, cwd=Path(__file__).resolve().parents[2], timeout=120,
    )

