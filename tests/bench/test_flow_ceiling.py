"""bench.flow.ceiling in miniature: correctness only, never a time.

Its figure is a ceiling only if the replay does the writer's whole work on the database: the
replayed database must end exactly as the recorded run left it, row for row, whatever order
the two connections commit in.
"""

from __future__ import annotations

import asyncpg

from bench.common.cpu_meter import CpuMeter
from bench.common.postgres import copy_database, drop
from bench.flow.ceiling import drop_idempotency_key, record, replay
from bench.flow.workload import seeded_template
from persistence.urls import with_database

# Every table the flow writes, in the order of a unique key. The writer sends the ids of the
# rows it creates, except the daily summaries', which PostgreSQL draws (the column default):
# those are left out.
FLOW_TABLES = {
    "answer_attempts": "id", "learning_events": "id", "question_progress": "id",
    "user_statistics": "user_id", "daily_practice_summaries": "user_id, date",
    "practice_sessions": "id",
}
DRAWN_BY_POSTGRES = {"daily_practice_summaries": "id"}


async def _rows(url: str) -> dict[str, list[dict]]:
    conn = await asyncpg.connect(url)
    try:
        tables = {}
        for table, key in FLOW_TABLES.items():
            rows = await conn.fetch(f"SELECT * FROM {table} ORDER BY {key}")
            drawn = DRAWN_BY_POSTGRES.get(table)
            tables[table] = [{k: v for k, v in row.items() if k != drawn} for row in rows]
        return tables
    finally:
        await conn.close()


async def test_replayed_writes_leave_the_recorded_end_state(postgres_server_url):
    server = postgres_server_url
    copies: list[str] = []
    async with seeded_template(server, 40, 400) as (template, _facts, attempts):
        try:
            before = await _rows(with_database(server, template))
            recorded_name, recorded_url = await copy_database(server, template)
            replayed_name, replayed_url = await copy_database(server, template)
            bare_name, bare_url = await copy_database(server, template)
            copies += [recorded_name, replayed_name, bare_name]

            # Batches of 30 over 40 students: consecutive batches share students, so the
            # replay must hold some back until the batch before them has committed.
            batches = await record(recorded_url, attempts, 30)
            assert len(batches) == 14 and all(batch.calls for batch in batches)
            assert any(batch.after for batch in batches)
            meter = CpuMeter(server, replayed_name)
            elapsed, (python_s, _postgres_s) = await replay(replayed_url, batches, 2, meter)
            assert elapsed > 0 and python_s >= 0
            # --seed-only: no users' lock, no attempt_id index; the order alone keeps it exact.
            await drop_idempotency_key(bare_url)
            await replay(bare_url, batches, 2, CpuMeter(server, bare_name), locks=False)

            recorded, replayed, bare = (await _rows(recorded_url), await _rows(replayed_url),
                                        await _rows(bare_url))
            assert len(recorded["answer_attempts"]) == len(attempts)
            assert len(recorded["learning_events"]) == len(attempts)
            assert recorded != before
            for table in FLOW_TABLES:
                assert replayed[table] == recorded[table], table
                assert bare[table] == recorded[table], table
        finally:
            for name in copies:
                await drop(server, name)
