"""The answer writer's connections go unpinged on checkout (persistence/database.py); one
that PostgreSQL closed must still be replaced, not handed to the next batch."""

from __future__ import annotations

import asyncio

import asyncpg

from persistence.answer_flow import AttemptOutcome
from persistence.database import create_database
from persistence.group_commit import GroupCommitWriter
from tests.persistence.test_group_commit import attempt
from tests.support import factories


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
