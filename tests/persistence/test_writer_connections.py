"""The answer writer's own connections: unpinged on checkout (persistence/database.py), yet
one that PostgreSQL closed is replaced, not handed to the next batch; and planned for the
key lookups they run (KEY_LOOKUP_SETTINGS), whatever the tables' size at planning time."""

from __future__ import annotations

import asyncio

import asyncpg

from persistence.answer_flow import AttemptOutcome
from persistence.database import create_database
from persistence.flow_batch import parameter_count, statement, write_back_statement
from persistence.group_commit import GroupCommitWriter
from persistence.migrations import migrate_async
from server.resources import create_answer_writer
from server.settings import Settings
from tests.persistence.test_group_commit import attempt
from tests.support import databases, factories, services


async def _writer_backend(database) -> asyncpg.Connection:
    """The driver connection the writer's one-connection pool holds (checked out and back)."""
    async with database.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        return raw.driver_connection


async def test_a_connection_whose_backend_was_terminated_is_replaced(db, database_url):
    _, facts = await factories.make_track(db, "×", size=2)
    user = await factories.make_user(db)
    session = await factories.make_session(db, user)
    database = create_database(database_url, pool_size=1, ping_on_checkout=False)
    writer = GroupCommitWriter(database, max_batch=10, window_ms=1, max_in_flight=1)
    await writer.start()
    try:
        assert isinstance(await writer.submit(attempt(user, session, facts[0])), AttemptOutcome)
        driver = await _writer_backend(database)
        admin = await asyncpg.connect(database_url)
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", driver.get_server_pid())
        finally:
            await admin.close()
        for _ in range(200):   # the event loop reads the server's goodbye and the socket's end
            if driver.is_closed():
                break
            await asyncio.sleep(0.01)
        assert driver.is_closed()

        later = await writer.submit(attempt(user, session, facts[1], seconds=5))

        assert isinstance(later, AttemptOutcome) and not later.duplicate
        assert (await _writer_backend(database)) is not driver
    finally:
        await writer.stop()
        await database.dispose()


async def test_the_writers_lookups_plan_index_probes_on_empty_tables(postgres_server_url):
    """Plans are cached per connection: one made while the tables are empty (a fresh
    install) must still be an index probe per key when they hold millions of rows."""
    name = services.unique_name("mathrally_plans")
    url = await databases.create_database(postgres_server_url, name)
    try:
        await migrate_async(url)
        database, _writer = create_answer_writer(url, Settings())
        try:
            async with database.engine.connect() as connection:
                raw = await connection.get_raw_connection()
                conn: asyncpg.Connection = raw.driver_connection
                await conn.execute("SET plan_cache_mode = force_generic_plan")
                reads = ("lock_users", "select_sessions", "select_questions",
                         "select_stored_attempts", "select_question_progress",
                         "select_daily_summaries")
                for label, sql in [*((n, statement(n)) for n in reads),
                                   ("write_back", write_back_statement())]:
                    await conn.execute(f"PREPARE plan_probe AS {sql}")
                    nulls = ", ".join(["NULL"] * parameter_count(sql))
                    plan = "\n".join(row[0] for row in await conn.fetch(
                        f"EXPLAIN (COSTS OFF) EXECUTE plan_probe({nulls})"))
                    await conn.execute("DEALLOCATE plan_probe")
                    assert "Seq Scan" not in plan and "Hash Join" not in plan, (label, plan)
                    assert "Index Scan" in plan or label == "write_back", (label, plan)
                await conn.execute("RESET plan_cache_mode")
        finally:
            await database.dispose()
    finally:
        await databases.drop_database(postgres_server_url, name)
