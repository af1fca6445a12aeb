"""deploy/replica for real: a hot standby made by deploy/replica/make-standby (pg_basebackup
with a replication slot, over TLS with a password, the pgBackRest archive as its fallback),
a game played on the primary through two real workers that read reports from the standby, the
replication lag on /metrics, a standby that fell past its slot catching up from the archive,
and a promotion (docs/operations.md, "A replica"). The clusters are the machine's PostgreSQL 15
binaries on private ports (tests/support/replication.py)."""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from persistence.database import create_database
from persistence.migrations import migrate_async
from tests.support import factories, room_factories
from tests.support.fault_checker import check_game_after_fault
from tests.support.fault_game import ClassroomGame
from tests.support.private_services import PrivateRedis
from tests.support.replication import REPLICA_DEPLOY, SLOT, Replication, replication
from tests.support.scrape import scrape
from tests.support.workers import read_logs, start_worker, stop_workers

pytestmark = pytest.mark.slow
DATABASE = "mathrally"


def test_the_standby_files_say_what_the_runbook_says():
    standby = (REPLICA_DEPLOY / "standby.conf").read_text()
    settings = dict(re.findall(r"^(\w+) = (.+)$", standby, re.M))
    assert settings["hot_standby"] == "on" and settings["hot_standby_feedback"] == "on"
    assert settings["restore_command"] == "'pgbackrest --stanza=mathrally archive-get %f \"%p\"'"
    assert settings["recovery_target_timeline"] == "'latest'"
    script = (REPLICA_DEPLOY / "make-standby").read_text()
    for flag in ("--create-slot", "--slot=", "--write-recovery-conf", "--wal-method=stream"):
        assert flag in script
    assert 'SSLMODE="${SSLMODE:-verify-full}"' in script


def replica_reads(found: dict[tuple[str, tuple], float]) -> Counter[tuple[str, str, str]]:
    reads: Counter[tuple[str, str, str]] = Counter()
    for (name, labels), value in found.items():
        if name == "mathrally_replica_reads_total":
            d = dict(labels)
            reads[(d["kind"], d["served_by"], d["reason"])] += int(value)
    return reads


async def wait_for_metric(url: str, name: str, predicate, within_s: float = 15) -> float:
    deadline = time.monotonic() + within_s
    while True:
        value = (await scrape(url)).get((name, ()))
        if value is not None and predicate(value):
            return value
        assert time.monotonic() < deadline, f"{name} = {value} after {within_s} s"
        await asyncio.sleep(0.2)


async def rows(url: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def replicated() -> AsyncIterator[tuple[Replication, str, str]]:
    async with replication() as made:
        await made.primary.create_database(DATABASE)
        primary_url = made.primary.url(DATABASE)
        await migrate_async(primary_url)
        await made.wait_replayed()
        yield made, primary_url, made.standby.url(DATABASE)


@pytest.fixture(scope="module")
async def redis_server():
    server = await PrivateRedis.create()
    yield server
    await server.stop()


@pytest.fixture
async def workers_on(replicated, redis_server):
    """Start workers on the primary with the standby as their replica; stopped afterwards."""
    _, primary_url, standby_url = replicated
    logs = Path(tempfile.mkdtemp(prefix="mathrally-replica-workers-"))
    started: list[asyncio.subprocess.Process] = []
    prefix = f"replica_{uuid.uuid4().hex[:8]}"  # one deployment: every worker shares it

    async def start(count: int, **env: str) -> list[str]:
        urls = []
        for _ in range(count):
            proc, url = await start_worker(primary_url, redis_server.url, prefix, logs,
                                           extra_env={"DATABASE_REPLICA_URL": standby_url, **env})
            started.append(proc)
            urls.append(url)
        return urls

    try:
        yield start
    finally:
        slow = await stop_workers(started)
        worker_logs = read_logs(logs)
        shutil.rmtree(logs, ignore_errors=True)
        assert not slow, worker_logs


async def report(url: str, token: str, room_id: object) -> dict:
    async with aiohttp.ClientSession() as http, http.get(
            f"{url}/api/rooms/{room_id}/report", headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def test_a_game_on_the_primary_reaches_the_standby(replicated, workers_on):
    pair, primary_url, standby_url = replicated
    urls = await workers_on(2)
    db = create_database(primary_url, pool_size=2)
    try:
        teacher, token = await factories.make_teacher_with_token(db)
        room = await factories.make_room(db, teacher, question_count=3, time_limit_ms=8000,
                                         auto_advance_ms=1000)
    finally:
        await db.dispose()
    game = ClassroomGame(urls, token, room, 12)
    try:
        await game.join()
        run = await game.play(3)
    finally:
        await game.close()
    await check_game_after_fault(primary_url, room["room_id"], run)
    for url in urls:  # a whole game, and not one read went through the routing
        assert not replica_reads(await scrape(url))

    caught_up_s = await pair.wait_replayed()
    query = ("SELECT a.attempt_id, a.user_id, a.question_index, a.user_answer, a.is_correct, "
             "a.points, a.response_time FROM answer_attempts a JOIN room_players p "
             "ON p.session_id = a.session_id WHERE p.room_id = $1 ORDER BY a.attempt_id")
    on_primary = await rows(primary_url, query, room["room_id"])
    on_standby = await rows(standby_url, query, room["room_id"])
    acked = {r.attempt_id for r in run.records if r.ack is not None}
    assert len(on_primary) == len(acked) == 36
    assert [tuple(r) for r in on_standby] == [tuple(r) for r in on_primary]
    print(f"\nREPLICA: {len(acked)} committed answers on the standby {caught_up_s:.3f} s after the "
          "game's last write was looked for")

    for url in urls:  # the next probe (every 0.5 s) sees the standby caught up
        assert await wait_for_metric(url, "mathrally_replica_lag_bytes", lambda v: v == 0) == 0
        found = await scrape(url)
        assert found[("mathrally_replica_up", ())] == 1
        assert 0 <= found[("mathrally_replica_lag_seconds", ())] < 1

    # The teacher's report, read-your-writes: the standby had replayed the game, so it served it.
    body = await report(urls[0], token, room["room_id"])
    scores = {p["player_id"]: p["score"] for p in body["students"]}
    assert scores == {player: over["you"]["score"] for player, over in run.game_over.items()}
    reads = replica_reads(await scrape(urls[0]))
    assert reads == {("fresh", "replica", "caught_up"): 1}, reads


async def test_a_paused_standby_shows_its_lag_and_reads_go_to_the_primary(replicated, workers_on):
    pair, primary_url, _ = replicated
    [url] = await workers_on(1, DATABASE_REPLICA_MAX_LAG_MS="500", DATABASE_REPLICA_WAIT_MS="300")
    db = create_database(primary_url, pool_size=2)
    await pair.sql(pair.standby, "SELECT pg_wal_replay_pause()")
    try:
        teacher, token = await factories.make_teacher_with_token(db)
        # A game that just ended: its room and every answer are on the primary only.
        room_id = await room_factories.make_room(db, teacher)
        track_id, facts = await factories.make_track(db, size=2)
        player = await room_factories.add_player(db, room_id, "Ada", 0)
        for index, fact in enumerate(facts):
            await room_factories.add_room_question(db, room_id, index, fact)
            await room_factories.add_attempt(db, player, fact, index, answer=str(fact["correct_answer"]),
                                             response_time=900, points=100)
        student, _ = await factories.make_roster_student(db, teacher)
        [(class_id,)] = await rows(primary_url, "SELECT class_id FROM class_students WHERE user_id = $1",
                                   student)

        lag_s = await wait_for_metric(url, "mathrally_replica_lag_seconds", lambda v: v > 0.5)
        lag_bytes = (await scrape(url))[("mathrally_replica_lag_bytes", ())]
        assert lag_bytes > 0
        # Read-your-writes: the standby is paused, so after 300 ms the primary serves it, whole.
        started = time.monotonic()
        body = await report(url, token, room_id)
        waited = time.monotonic() - started
        assert [p["answered"] for p in body["students"]] == [len(facts)]
        # A bounded read (the class grid) with the standby 0.5 s+ behind: the primary, at once.
        async with aiohttp.ClientSession() as http, http.get(
                f"{url}/api/classes/{class_id}/grid", params={"track_id": str(track_id), "operation": "×"},
                headers={"Authorization": f"Bearer {token}"}) as response:
            assert response.status == 200, await response.text()
            assert (await response.json())["students"] == 1  # the class exists on the primary only
        reads = replica_reads(await scrape(url))
        assert reads[("fresh", "primary", "wait_timeout")] == 1
        assert reads[("bounded", "primary", "lagging")] == 1
        print(f"\nREPLICA paused: lag {lag_s:.2f} s / {int(lag_bytes)} bytes on /metrics; the report "
              f"came from the primary after {waited:.2f} s")
    finally:
        await pair.sql(pair.standby, "SELECT pg_wal_replay_resume()")
        await db.dispose()
    await pair.wait_replayed()
    assert await wait_for_metric(url, "mathrally_replica_lag_seconds", lambda v: v < 0.5) < 0.5
    body = await report(url, token, room_id)
    assert [p["answered"] for p in body["students"]] == [len(facts)]
    assert replica_reads(await scrape(url))[("fresh", "replica", "caught_up")] == 1


@pytest.fixture
async def archived() -> AsyncIterator[Replication]:
    """A pair of its own, with the primary archiving into pgBackRest (the standby's fallback)."""
    async with replication(archive=True) as made:
        await made.sql(made.primary, "CREATE TABLE answers (n int)")
        await made.wait_replayed()
        yield made


async def test_a_standby_past_its_slot_catches_up_from_the_archive(archived: Replication):
    pair = archived
    await pair.standby.stop("fast")
    # The primary keeps WAL for a slot only up to max_slot_wal_keep_size (20GB as shipped;
    # 32MB here, so two segment switches pass it): past that the slot is lost and the WAL gone.
    for setting in ("max_slot_wal_keep_size = '32MB'", "wal_keep_size = 0"):
        await pair.sql(pair.primary, f"ALTER SYSTEM SET {setting}")
    await pair.sql(pair.primary, "SELECT pg_reload_conf()")
    for _ in range(4):
        await pair.sql(pair.primary, "INSERT INTO answers SELECT generate_series(1, 1000)")
        await pair.sql(pair.primary, "SELECT pg_switch_wal()")
    await asyncio.to_thread(pair.pgbackrest, "check")  # every segment so far is in the archive
    await pair.sql(pair.primary, "CHECKPOINT")
    assert await pair.sql(pair.primary, "SELECT wal_status FROM pg_replication_slots "
                                        "WHERE slot_name = $1", SLOT) == "lost"

    # The runbook: a lost slot is dropped and made again, then the standby started.
    await pair.sql(pair.primary, "SELECT pg_drop_replication_slot($1)", SLOT)
    await pair.sql(pair.primary, "SELECT pg_create_physical_replication_slot($1, true)", SLOT)
    await pair.standby.start()
    await pair.wait_replayed(within_s=60)
    assert await pair.sql(pair.standby, "SELECT count(*) FROM answers") == 4000
    assert re.search(r'restored log file "[0-9A-F]{24}" from archive', pair.standby_log())
    deadline = time.monotonic() + 30
    while await pair.sql(pair.primary, "SELECT state FROM pg_stat_replication "
                                       "WHERE application_name = $1", SLOT) != "streaming":
        assert time.monotonic() < deadline, "the standby did not stream again"
        await asyncio.sleep(0.1)
    assert await pair.sql(pair.primary, "SELECT active FROM pg_replication_slots "
                                        "WHERE slot_name = $1", SLOT)


async def test_a_promoted_standby_serves_the_app_and_backs_up(archived: Replication, redis_server):
    pair = archived
    await pair.sql(pair.primary, "INSERT INTO answers SELECT generate_series(1, 500)")
    await pair.wait_replayed()
    await pair.primary.stop("immediate")  # the primary's region is gone
    assert await pair.sql(pair.standby, "SELECT pg_promote(wait => true)")
    assert await pair.sql(pair.standby, "SELECT pg_is_in_recovery()") is False
    assert await pair.sql(pair.standby, "SELECT count(*) FROM answers") == 500

    # The app moves: DATABASE_URL names the promoted server; migrations are already there.
    await pair.standby.create_database(DATABASE)
    url = pair.standby.url(DATABASE)
    await migrate_async(url)
    logs = Path(tempfile.mkdtemp(prefix="mathrally-promoted-"))
    proc, worker = await start_worker(url, redis_server.url, f"promoted_{uuid.uuid4().hex[:8]}", logs)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{worker}/readyz") as response:
                assert response.status == 200, read_logs(logs)
            name = f"t{uuid.uuid4().hex[:10]}"
            async with http.post(f"{worker}/api/teachers", json={
                    "username": name, "email": f"{name}@example.org", "password": "a long password 1"}) as r:
                assert r.status == 201, await r.text()  # it takes writes
    finally:
        assert not await stop_workers([proc]), read_logs(logs)
        shutil.rmtree(logs, ignore_errors=True)

    # Backups continue from the new primary (its host's pgbackrest.conf), on the new timeline,
    # into the same repository.
    await asyncio.to_thread(pair.pgbackrest, "check", on="standby")
    await asyncio.to_thread(pair.pgbackrest, "--type=full", "backup", on="standby")
    info = await asyncio.to_thread(pair.pgbackrest, "info", on="standby")
    assert "full backup" in info
