"""The answer writer against a PostgreSQL that fails: a private cluster behind a fault proxy
(tests/support). Every submitter is answered within the bound; nothing acknowledged is lost;
a batch whose COMMIT reply was lost is looked up and answered as stored; hooks see each
stored attempt once."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
import pytest

from persistence.answer_flow import AttemptOutcome, AttemptRejected
from persistence.database import Timeouts, create_database
from persistence.group_commit import GroupCommitWriter
from tests.persistence.test_group_commit import attempt
from tests.support import factories
from tests.support.pg_proxy import PgProxy
from tests.support.private_services import private_database

pytestmark = pytest.mark.slow
BOUND_MS = 1500
TIMEOUTS = Timeouts(connect_ms=500, statement_ms=800, pool_ms=500)


@pytest.fixture(scope="module")
async def cluster():
    async with private_database() as (cluster, url):
        yield cluster, url


@pytest.fixture
async def setup(cluster):
    """A writer on its own pool through a fresh proxy; the hooks' view; a few students."""
    pg, url = cluster
    proxy = await PgProxy("127.0.0.1", pg.port).start()
    proxied = url.replace(f":{pg.port}/", f":{proxy.port}/")
    direct = create_database(url, pool_size=2)
    database = create_database(proxied, pool_size=2, ping_on_checkout=False, timeouts=TIMEOUTS)
    writer = GroupCommitWriter(database, max_batch=50, window_ms=5, answer_timeout_ms=BOUND_MS)
    hooked: list[uuid.UUID] = []

    async def hook(committed):
        hooked.extend(a.attempt_id for a, _ in committed)

    writer.add_after_commit_hook(hook)
    await writer.start()
    _, facts = await factories.make_track(direct, "×", size=2)
    students = []
    for _ in range(4):
        user = await factories.make_user(direct)
        students.append((user, await factories.make_session(direct, user, mode="live")))
    try:
        yield proxy, writer, hooked, students, facts, url
    finally:
        proxy.pass_through()
        await writer.stop()
        await database.dispose()
        await direct.dispose()
        await proxy.stop()


async def stored_rows(url: str, attempt_ids) -> dict[uuid.UUID, asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT * FROM answer_attempts WHERE attempt_id = ANY($1::uuid[])",
                                list(attempt_ids))
    finally:
        await conn.close()
    return {r["attempt_id"]: r for r in rows}


async def test_a_lost_commit_reply_is_answered_as_stored(setup):
    proxy, writer, hooked, students, facts, url = setup
    sends = [attempt(u, s, facts[0], question_index=0, points=800 + i)
             for i, (u, s) in enumerate(students)]
    for round_ in range(3):
        proxy.drop_commit_replies(1)
        if round_:
            sends = [attempt(u, s, facts[1], question_index=round_, points=700 + i, seconds=round_)
                     for i, (u, s) in enumerate(students)]
        outcomes = await asyncio.gather(*(writer.submit(a) for a in sends))
        assert proxy.commit_drops_left == 0
        rows = await stored_rows(url, [a.attempt_id for a in sends])
        for a, outcome in zip(sends, outcomes, strict=True):
            row = rows[a.attempt_id]
            assert not outcome.duplicate
            assert (outcome.answer_id, outcome.points, outcome.response_time_ms, outcome.is_correct) \
                == (row["id"], row["points"], row["response_time"], row["is_correct"])
        again = await asyncio.gather(*(writer.submit(a) for a in sends))
        assert all(r.duplicate for r in again)
        assert [r.answer_id for r in again] == [o.answer_id for o in outcomes]
    assert proxy.commit_replies_dropped == 3
    assert sorted(hooked) == sorted(set(hooked)) and len(hooked) == 3 * len(students)


async def test_a_hung_commit_is_looked_up_and_acknowledged_within_the_bound(setup):
    proxy, writer, hooked, students, facts, url = setup
    sends = [attempt(u, s, facts[2], question_index=7, points=600) for u, s in students]
    proxy.drop_commit_replies(1, then="hang")
    started = time.monotonic()
    outcomes = await asyncio.gather(*(writer.submit(a) for a in sends))
    assert time.monotonic() - started < BOUND_MS / 1000 + 0.5
    rows = await stored_rows(url, [a.attempt_id for a in sends])
    assert [o.answer_id for o in outcomes] == [rows[a.attempt_id]["id"] for a in sends]
    assert not any(o.duplicate for o in outcomes) and sorted(hooked) == sorted(rows)


async def test_a_commit_lost_in_an_outage_is_found_stored_later(setup):
    """The look-up cannot be done before the bound: the submitters are refused, the batch is
    looked up again in the background, its hooks run once, and resends get the stored rows."""
    proxy, writer, hooked, students, facts, url = setup
    sends = [attempt(u, s, facts[3], question_index=8, points=555) for u, s in students]
    proxy.drop_commit_replies(1, then="black_hole")
    started = time.monotonic()
    results = await asyncio.gather(*(writer.submit(a) for a in sends), return_exceptions=True)
    assert time.monotonic() - started < BOUND_MS / 1000 + 0.5
    assert all(isinstance(r, AttemptRejected) and r.code == "storage_unavailable" for r in results)
    assert hooked == []
    rows = await stored_rows(url, [a.attempt_id for a in sends])
    assert set(rows) == {a.attempt_id for a in sends}   # committed all the same
    proxy.pass_through()
    for _ in range(100):
        if hooked:
            break
        await asyncio.sleep(0.05)
    assert sorted(hooked) == sorted(rows)
    resent = await asyncio.gather(*(writer.submit(a) for a in sends))
    assert all(r.duplicate and r.points == 555 for r in resent)
    assert [r.answer_id for r in resent] == [rows[a.attempt_id]["id"] for a in sends]
    assert len(hooked) == len(rows)


async def test_black_holed_replies_are_refused_within_the_bound(setup):
    proxy, writer, hooked, students, facts, url = setup
    (u, s), *_ = students
    assert isinstance(await writer.submit(attempt(u, s, facts[0])), AttemptOutcome)
    proxy.black_hole()
    sends = [attempt(u2, s2, facts[1], question_index=1, seconds=5) for u2, s2 in students]
    started = time.monotonic()
    results = await asyncio.gather(*(writer.submit(a) for a in sends), return_exceptions=True)
    waited = time.monotonic() - started
    assert all(isinstance(r, AttemptRejected) and r.code == "storage_unavailable" for r in results)
    assert waited < BOUND_MS / 1000 + 0.5, waited
    # Later answers during the outage are refused within the bound too.
    started = time.monotonic()
    with pytest.raises(AttemptRejected):
        await writer.submit(attempt(u, s, facts[2], seconds=9))
    assert time.monotonic() - started < BOUND_MS / 1000 + 0.5
    proxy.pass_through()
    # Resends after the outage: each stored exactly once, whatever the outage left.
    for _ in range(50):
        try:
            resent = await asyncio.gather(*(writer.submit(a) for a in sends))
            break
        except AttemptRejected:
            await asyncio.sleep(0.2)
    rows = await stored_rows(url, [a.attempt_id for a in sends])
    assert set(rows) == {a.attempt_id for a in sends}
    assert [r.answer_id for r in resent] == [rows[a.attempt_id]["id"] for a in sends]
    for _ in range(50):   # a batch found stored in the background reaches the hooks too
        if set(hooked) >= set(rows):
            break
        await asyncio.sleep(0.1)
    assert set(hooked) >= set(rows) and len(hooked) == len(set(hooked))


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_postgresql_stopped_refuses_fast_and_recovers(cluster, setup, mode):
    pg, _ = cluster
    _, writer, _, students, facts, url = setup
    (u, s), *_ = students
    await writer.submit(attempt(u, s, facts[0]))
    await pg.stop(mode)
    try:
        started = time.monotonic()
        with pytest.raises(AttemptRejected) as refused:
            await writer.submit(attempt(u, s, facts[1], seconds=1))
        assert refused.value.code == "storage_unavailable"
        assert time.monotonic() - started < BOUND_MS / 1000 + 0.5
    finally:
        await pg.start()
    late = attempt(u, s, facts[1], seconds=2)
    outcome = await writer.submit(late)
    assert not outcome.duplicate and set(await stored_rows(url, [late.attempt_id])) == {late.attempt_id}


async def test_the_apps_engine_gives_up_on_black_holed_replies_and_recovers(cluster):
    """A statement with no reply fails after the command timeout, and its connection is
    discarded: once replies flow again, the pool's next statement works."""
    from sqlalchemy import text

    pg, url = cluster
    proxy = await PgProxy("127.0.0.1", pg.port).start()
    database = create_database(url.replace(f":{pg.port}/", f":{proxy.port}/"), pool_size=1,
                               timeouts=TIMEOUTS)
    try:
        async with database.engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
        proxy.black_hole()
        for _ in range(2):   # a query, then a new connection: each bounded
            started = time.monotonic()
            with pytest.raises(Exception):  # noqa: B017 - any error, as long as it comes in time
                async with database.engine.connect() as conn:
                    await conn.execute(text("SELECT 2"))
            assert time.monotonic() - started < TIMEOUTS.command_s + TIMEOUTS.connect_ms / 1000 + 1
        proxy.pass_through()
        async with database.engine.connect() as conn:
            assert (await conn.execute(text("SELECT 3"))).scalar() == 3
    finally:
        await database.dispose()
        await proxy.stop()
