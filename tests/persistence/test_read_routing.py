"""Reads routed to a real hot standby (tests/support/replication.py): read-your-writes by waiting
for the replay position, bounded staleness from the probe's samples, and the primary whenever
the replica is behind, paused, stopped, or not a standby at all."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text

from persistence.database import Database, create_database
from persistence.read_routing import ReadRouting, lsn_value
from tests.support.replication import Replication, replication

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
async def pair():
    async with replication() as made:
        await made.sql(made.primary, "CREATE TABLE answers (n int)")
        yield made


@pytest.fixture
async def routing(pair: Replication):
    primary = create_database(pair.primary.url(), pool_size=2)
    replica = create_database(pair.standby.url(), pool_size=2)
    seen: list[tuple[str, str, str]] = []
    made = ReadRouting(primary, replica, max_lag_s=0.6, wait_s=0.3, probe_interval_s=0.1,
                       retry_after_s=0.5, on_read=lambda *r: seen.append(r))
    made.seen = seen  # type: ignore[attr-defined]
    yield made
    await primary.dispose()
    await replica.dispose()


async def count(db: Database) -> tuple[int, bool]:
    """(rows, whether the database read was the standby)"""
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT count(*) FROM answers"))).scalar_one()
        standby = (await conn.execute(text("SELECT pg_is_in_recovery()"))).scalar_one()
    return rows, standby


async def write(pair: Replication, rows: int = 1) -> int:
    await pair.sql(pair.primary, "INSERT INTO answers SELECT generate_series(1, $1)", rows)
    return int(await pair.sql(pair.primary, "SELECT count(*) FROM answers"))  # type: ignore[arg-type]


@pytest.fixture
async def paused(pair: Replication):
    """Replay paused on the standby for the test (WAL still arrives; nothing becomes visible)."""
    await pair.sql(pair.standby, "SELECT pg_wal_replay_pause()")
    yield
    await pair.sql(pair.standby, "SELECT pg_wal_replay_resume()")
    await pair.wait_replayed()


def test_positions_order_like_the_wal():
    assert lsn_value("0/3000060") < lsn_value("0/3000148") < lsn_value("1/0") < lsn_value("16/B374D848")


async def test_a_fresh_read_sees_a_write_just_made_and_is_served_by_the_replica(pair, routing):
    for _ in range(5):
        written = await write(pair)
        assert await routing.fresh(count) == (written, True)
    assert set(routing.seen) == {("fresh", "replica", "caught_up")}


async def test_a_fresh_read_waits_no_longer_than_its_bound_then_reads_the_primary(pair, routing, paused):
    written = await write(pair, 3)
    started = time.monotonic()
    assert await routing.fresh(count) == (written, False)  # the primary: it has the rows
    waited = time.monotonic() - started
    assert 0.3 <= waited < 1.0
    assert routing.seen == [("fresh", "primary", "wait_timeout")]


async def test_bounded_reads_use_the_replica_only_while_it_is_within_the_bound(pair, routing):
    await pair.wait_replayed()
    await routing.probe()  # a sample the replica has replayed
    before = (await count(routing.primary))[0]
    await pair.sql(pair.standby, "SELECT pg_wal_replay_pause()")
    try:
        await _bounded_reads_while_paused(pair, routing, before)
    finally:
        await pair.sql(pair.standby, "SELECT pg_wal_replay_resume()")
        await pair.wait_replayed()


async def _bounded_reads_while_paused(pair: Replication, routing: ReadRouting, before: int) -> None:
    # Within the bound: the replica's (here complete) view is served.
    assert await routing.bounded(count) == (before, True)
    await write(pair)
    # The writes from now on are missing; samples taken after them are not replayed, so the
    # bound grows with time since the last replayed sample, until it passes 0.6 s.
    deadline = time.monotonic() + 5
    while True:
        await routing.probe()
        bound = routing.staleness_bound()
        assert bound is not None
        if bound > routing.max_lag_s:
            break
        assert time.monotonic() < deadline, "the staleness bound never grew"
        served = await routing.bounded(count)
        assert served == (before, True)  # stale, but within the stated bound
        await asyncio.sleep(0.1)
    assert await routing.bounded(count) == (before + 1, False)
    assert routing.seen[-1] == ("bounded", "primary", "lagging")
    lag = routing.last_lag
    assert lag is not None and lag.bytes_behind > 0 and lag.seconds_behind > routing.max_lag_s


async def test_the_probe_reports_no_lag_once_the_replica_has_replayed(pair, routing):
    await write(pair, 100)
    await pair.wait_replayed()
    lag = await routing.probe()
    assert lag is not None and lag.bytes_behind == 0 and lag.seconds_behind < 0.5
    assert routing.replica_up


async def test_a_stopped_replica_sends_reads_to_the_primary_until_it_is_back(pair, routing):
    written = await write(pair)
    await pair.standby.stop("immediate")
    try:
        assert await routing.fresh(count) == (written, False)
        assert await routing.bounded(count) == (written, False)
        assert await routing.probe() is None and routing.replica_up is False
        assert [r[2] for r in routing.seen] == ["replica_error", "replica_aside"]
    finally:
        await pair.standby.start()
    await pair.wait_replayed()
    await asyncio.sleep(routing.retry_after_s)
    assert await routing.fresh(count) == (written, True)
    assert routing.seen[-1] == ("fresh", "replica", "caught_up")


async def test_a_replica_url_naming_a_primary_is_never_read(pair):
    primary = create_database(pair.primary.url(), pool_size=1)
    not_a_standby = create_database(pair.primary.url(), pool_size=1)
    seen: list[tuple[str, str, str]] = []
    routing = ReadRouting(primary, not_a_standby, on_read=lambda *r: seen.append(r))
    try:
        assert await routing.probe() is None and routing.replica_up is False
        assert (await routing.fresh(count))[1] is False
        assert seen == [("fresh", "primary", "replica_error")]
    finally:
        await primary.dispose()
        await not_a_standby.dispose()


async def test_without_a_replica_both_kinds_read_the_primary(pair):
    primary = create_database(pair.primary.url(), pool_size=1)
    seen: list[tuple[str, str, str]] = []
    routing = ReadRouting(primary, on_read=lambda *r: seen.append(r))
    try:
        assert (await routing.fresh(count))[1] is False
        assert (await routing.bounded(count))[1] is False
        assert await routing.probe() is None
        assert seen == [("fresh", "primary", "no_replica"), ("bounded", "primary", "no_replica")]
    finally:
        await primary.dispose()
