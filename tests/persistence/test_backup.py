"""Backups: pg_dump → wipe → pg_restore gives back every row of every table; rotation."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid

import pytest
from sqlalchemy import text

from persistence import backup as backups
from persistence.database import create_database
from persistence.migrations import migrate_async
from persistence.retention import run_retention
from server.cli import main
from tests.support import databases, factories, services


@pytest.fixture
async def scratch_url(postgres_server_url):
    """A database of its own, migrated, since these tests wipe it."""
    name = services.unique_name("mathrally_backup")
    url = await databases.create_database(postgres_server_url, name)
    await migrate_async(url)
    yield url
    await databases.drop_database(postgres_server_url, name)


async def _fill(url: str) -> None:
    """Rows in every kind of table, archive and aggregated counts included."""
    db = create_database(url, pool_size=2)
    try:
        now = dt.datetime(2026, 11, 24)
        user = await factories.make_user(db)
        await factories.make_user(db, role="teacher")
        _, facts = await factories.make_track(db, operation="÷", size=3)
        session_id = await factories.make_session(db, user, config={"operation": "÷", "n": [1, 2]})
        async with db.sessions() as session, session.begin():
            for i, fact in enumerate(facts):
                at = now - dt.timedelta(days=400 * (i % 3))
                await session.execute(text(
                    "INSERT INTO answer_attempts (question_id, user_id, session_id, user_answer, "
                    "is_correct, correct_answer, response_time, timestamp, input_method, "
                    "attempt_number, attempt_id) VALUES (:q, :u, :s, :a, :ok, :a, :ms, :at, "
                    "'keyboard', 1, :aid)"),
                    {"q": fact["id"], "u": user, "s": session_id, "a": fact["correct_answer"],
                     "ok": i % 2 == 0, "ms": 900 + i, "at": at, "aid": uuid.uuid4()})
                await session.execute(text(
                    "INSERT INTO learning_events (type, user_id, timestamp, payload) VALUES "
                    "('answer', :u, :at, CAST(:p AS jsonb))"),
                    {"u": user, "at": now - dt.timedelta(days=50 * i), "p": f'{{"i": {i}}}'})
        await run_retention(db, now=now)
    finally:
        await db.dispose()


async def test_backup_wipe_restore_gives_back_every_row(scratch_url, tmp_path):
    await _fill(scratch_url)
    before = await backups.table_fingerprints(scratch_url)
    assert before["public.answer_attempts_archive"][0] > 0
    assert before["public.learning_event_daily_counts"][0] > 0

    made = await backups.backup(scratch_url, tmp_path, keep=3)
    assert made.path.name.startswith("mathrally-") and made.size_bytes > 0

    await backups.wipe(scratch_url)
    assert await backups.user_tables(scratch_url) == []

    restored = await backups.restore(scratch_url, made.path)
    assert restored.tables == len(before)
    assert await backups.table_fingerprints(scratch_url) == before


async def test_restore_refuses_a_database_with_tables_unless_wiped(scratch_url, tmp_path):
    await _fill(scratch_url)
    before = await backups.table_fingerprints(scratch_url)
    made = await backups.backup(scratch_url, tmp_path, keep=1)
    with pytest.raises(backups.BackupError, match="--wipe"):
        await backups.restore(scratch_url, made.path)
    # A change after the backup is undone by restoring over it with wipe_first.
    conn_db = create_database(scratch_url, pool_size=1)
    async with conn_db.engine.begin() as conn:
        await conn.execute(text("DELETE FROM learning_event_daily_counts"))
    await conn_db.dispose()
    await backups.restore(scratch_url, made.path, wipe_first=True)
    assert await backups.table_fingerprints(scratch_url) == before


async def test_rotation_keeps_the_newest(tmp_path, scratch_url):
    moments = [dt.datetime(2026, 11, d, 2, 0, tzinfo=dt.UTC) for d in (20, 21, 22)]
    results = [await backups.backup(scratch_url, tmp_path, keep=2, now=m) for m in moments]
    assert backups.list_backups(tmp_path) == [results[1].path, results[2].path]
    assert results[2].removed == [results[0].path]
    assert not list(tmp_path.glob("*.partial"))


async def test_the_tools_match_the_server_major_version(database_url):
    major = await backups.server_major_version(database_url)
    for tool in ("pg_dump", "pg_restore"):
        path = backups.find_pg_tool(tool, major)
        assert backups._tool_major_version(path) == major


def test_a_missing_tool_version_is_a_clear_error():
    with pytest.raises(backups.BackupError, match="PostgreSQL 3"):
        backups.find_pg_tool("pg_dump", 3)


@pytest.fixture
def root_logging():
    """The CLI configures the root logger for the process; put it back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_the_cli_backs_up_and_restores(scratch_url, tmp_path, monkeypatch, root_logging):
    await _fill(scratch_url)
    before = await backups.table_fingerprints(scratch_url)
    monkeypatch.setenv("DATABASE_URL", scratch_url)
    folder = tmp_path / "backups"
    # The CLI runs its own event loop, so it gets a thread of its own here.
    assert await asyncio.to_thread(main, ["backup", "--dir", str(folder), "--keep", "2"]) == 0
    [dump] = backups.list_backups(folder)
    assert await asyncio.to_thread(main, ["restore", str(dump)]) == 1  # not empty, no --wipe
    assert await asyncio.to_thread(main, ["restore", str(dump), "--wipe"]) == 0
    assert await backups.table_fingerprints(scratch_url) == before
    assert await asyncio.to_thread(main, ["restore", str(tmp_path / "nope.dump"), "--wipe"]) == 1
