"""The schema the migrations build, described from PostgreSQL's catalog as sorted text lines.

sql/schema_snapshot.txt holds that description for the newest revision;
tests/persistence/test_schema_drift.py fails when a migrated database says otherwise. The
description reads only what PostgreSQL reports the same way from version 15 to 18 (NOT NULL
constraints, which 18 also lists in pg_constraint, are read from the columns).

    python -m tests.support.schema_snapshot     # migrate a throw-away database, rewrite the file
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg

SNAPSHOT = Path(__file__).resolve().parents[2] / "sql" / "schema_snapshot.txt"

_PUBLIC = "n.nspname = 'public' AND c.relname <> 'alembic_version'"
_COLUMNS = f"""
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid) AS default_value, a.attidentity, a.attgenerated
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE {_PUBLIC} AND c.relkind IN ('r', 'p', 'v', 'm')
ORDER BY c.relname, a.attnum
"""
_CONSTRAINTS = f"""
SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) AS definition
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_PUBLIC} AND k.contype IN ('p', 'u', 'f', 'c', 'x')
ORDER BY c.relname, k.conname
"""
_INDEXES = """
SELECT indexdef FROM pg_indexes
WHERE schemaname = 'public' AND tablename <> 'alembic_version' ORDER BY tablename, indexname
"""
_STORAGE = f"""
SELECT c.relname, array_to_string(c.reloptions, ', ') AS options
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_PUBLIC} AND c.reloptions IS NOT NULL ORDER BY c.relname
"""
_TRIGGERS = f"""
SELECT pg_get_triggerdef(t.oid) AS definition
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_PUBLIC} AND NOT t.tgisinternal ORDER BY c.relname, t.tgname
"""
_FUNCTIONS = """
SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS arguments,
       pg_get_function_result(p.oid) AS result, l.lanname, p.prosrc
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE n.nspname = 'public' ORDER BY p.proname, arguments
"""
_OTHER_OBJECTS = f"""
SELECT c.relkind::text AS kind, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_PUBLIC} AND c.relkind IN ('S', 'v', 'm')
UNION ALL
SELECT 'type ' || t.typtype::text, t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')
ORDER BY 1, 2
"""


async def describe_schema(conn: asyncpg.Connection) -> str:
    lines = ["# The schema the migrations build (tests/support/schema_snapshot.py writes this).", ""]
    for r in await conn.fetch(_COLUMNS):
        line = f"{r['relname']}.{r['attname']}: {r['type']}"
        if r["attnotnull"]:
            line += " NOT NULL"
        if r["default_value"] is not None:
            line += f" DEFAULT {r['default_value']}"
        if r["attidentity"]:
            line += f" IDENTITY {r['attidentity']}"
        if r["attgenerated"]:
            line += f" GENERATED {r['attgenerated']}"
        lines.append(line)
    lines.append("")
    lines += [f"{r['relname']} CONSTRAINT {r['conname']} {r['definition']}"
              for r in await conn.fetch(_CONSTRAINTS)]
    lines.append("")
    lines += [r["indexdef"] for r in await conn.fetch(_INDEXES)]
    lines.append("")
    lines += [f"{r['relname']} WITH ({r['options']})" for r in await conn.fetch(_STORAGE)]
    lines += [f"{r['kind']} {r['relname']}" for r in await conn.fetch(_OTHER_OBJECTS)]
    lines += [r["definition"] for r in await conn.fetch(_TRIGGERS)]
    for r in await conn.fetch(_FUNCTIONS):
        lines += ["", f"FUNCTION {r['proname']}({r['arguments']}) RETURNS {r['result']} "
                      f"LANGUAGE {r['lanname']}", r["prosrc"].strip("\n")]
    return "\n".join(lines) + "\n"


async def describe_database(database_url: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        return await describe_schema(conn)
    finally:
        await conn.close()


async def _rewrite() -> None:
    from persistence.migrations import migrate_async
    from tests.support import databases, services

    server = services.postgres_server_url()
    name = services.unique_name("mathrally_snapshot")
    url = await databases.create_database(server, name)
    try:
        await migrate_async(url)
        SNAPSHOT.write_text(await describe_database(url))
    finally:
        await databases.drop_database(server, name)
    print(f"wrote {SNAPSHOT}")


if __name__ == "__main__":
    asyncio.run(_rewrite())
