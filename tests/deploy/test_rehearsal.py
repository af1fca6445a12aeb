"""A rehearsal on separate hosts: five network namespaces made by the test (tests/support/
netns.py), one per host, on one switch: two web hosts (`python -m server`), the proxy (the
shipped deploy/haproxy/haproxy.cfg, over TLS), PostgreSQL and Redis, so that no worker shares a
loopback with its database or its Redis. A game of 10 rooms of raw msgpack websocket students
(tests/support/raw_classroom.py) plays through the proxy while web1's link is cut for 5 s: the
test prints what the students saw (REHEARSAL line, the figures in docs/operations.md) and checks
that every acknowledged answer is committed once, the boards equal PostgreSQL and every game
ends. What it cannot show (bandwidth, real latency, a partition between the two sides of a
region) is said in docs/operations.md."""

from __future__ import annotations

import asyncio
import json
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from bench.storm.client import TransportFactory
from persistence.database import create_database
from persistence.migrations import migrate_async
from persistence.redis_client import create_redis
from rooms.cluster import owner_key
from rooms.leaderboard import Leaderboards
from tests.support import factories, netns
from tests.support.fault_checker import check_game_after_fault
from tests.support.fault_game import GameRun
from tests.support.haproxy import Proxy, running_haproxy
from tests.support.private_services import PrivatePostgres, PrivateRedis
from tests.support.raw_classroom import RawClassroom, RawHost
from tests.support.services import unique_name
from tests.support.workers import read_logs, start_worker, stop_workers

pytestmark = pytest.mark.slow

HOSTS = ["proxy", "web1", "web2", "db", "redis"]
WEB_HOSTS = ["web1", "web2"]
ROOMS = 10
STUDENTS = 10  # per room
QUESTIONS = 4
TIME_LIMIT_MS = 20_000
CUT_S = 5.0


@dataclass
class Deployment:
    network: netns.Network
    database: PrivatePostgres
    database_url: str
    redis: PrivateRedis
    prefix: str
    workers: dict[str, tuple[asyncio.subprocess.Process, str]]  # web host → (process, URL)
    proxy: Proxy


def reachable(network: netns.Network, host: str, address: str, port: int) -> str:
    """From `host`'s own network: "open", or the error a TCP connect to address:port met."""
    probe = ("import socket\ns = socket.socket()\ns.settimeout(2)\ntry:\n"
             f"    s.connect(({address!r}, {port}))\n    print('open')\n"
             "except OSError as e:\n    print(type(e).__name__)")
    return subprocess.run([*network.exec_prefix(host), sys.executable, "-c", probe],
                          capture_output=True, text=True, timeout=20).stdout.strip()


@pytest.fixture
async def deployment() -> AsyncIterator[Deployment]:
    unavailable = netns.why_unavailable()
    if unavailable is not None:
        pytest.skip(f"network namespaces cannot be made here: {unavailable}")
    with netns.virtual_network(HOSTS) as network:
        subnet = str(network.subnet)

        def allow_the_network(cluster: PrivatePostgres) -> None:
            with (cluster.data / "pg_hba.conf").open("a") as hba:
                hba.write(f"host all all {subnet} trust\n")

        database = await PrivatePostgres.create(configure=allow_the_network, host=network.addresses["db"],
                                                exec_prefix=network.exec_prefix("db"))
        logs = Path(tempfile.mkdtemp(prefix="mathrally-rehearsal-"))
        redis: PrivateRedis | None = None
        workers: dict[str, tuple[asyncio.subprocess.Process, str]] = {}
        try:
            database_url = await database.create_database("mathrally")
            await migrate_async(database_url)
            redis = await PrivateRedis.create(network.addresses["redis"], network.exec_prefix("redis"))
            prefix = unique_name("mathrally_rehearsal")
            for host in WEB_HOSTS:
                workers[host] = await start_worker(
                    database_url, redis.url, prefix, logs,
                    extra_env={"TRUSTED_PROXIES": network.addresses["proxy"]},
                    host=network.addresses[host], exec_prefix=network.exec_prefix(host))
            async with running_haproxy([url.removeprefix("http://") for _, url in workers.values()],
                                       host=network.addresses["proxy"],
                                       exec_prefix=network.exec_prefix("proxy")) as proxy:
                yield Deployment(network, database, database_url, redis, prefix, workers, proxy)
                print(f"\nhaproxy log (end):\n{proxy.log.read_text()[-1500:]}")
        finally:
            for host in network.namespaces:  # whatever happened, the links are whole again
                network.restore(host)
            slow = await stop_workers([proc for proc, _ in workers.values()])
            if redis is not None:
                await redis.stop()
            await database.destroy()
            worker_logs = read_logs(logs)
            shutil.rmtree(logs, ignore_errors=True)
    assert not slow, f"workers did not stop on SIGTERM:\n{worker_logs}"


async def board_and_record(deployment: Deployment, room_id: str) -> tuple[dict[str, int], dict[str, int]]:
    """(the room's Redis board, SUM(points) per player from PostgreSQL)."""
    redis = create_redis(deployment.redis.url)
    try:
        top, _ = await Leaderboards(redis, deployment.prefix).top_and_ranks(uuid.UUID(room_id), [], n=10_000)
    finally:
        await redis.aclose()
    conn = await asyncpg.connect(deployment.database_url)
    try:
        rows = await conn.fetch(
            "SELECT p.id, COALESCE(SUM(a.points), 0) AS points FROM room_players p "
            "LEFT JOIN answer_attempts a ON a.session_id = p.session_id "
            "AND a.question_index IS NOT NULL WHERE p.room_id = $1 AND p.kicked_at IS NULL "
            "GROUP BY p.id", uuid.UUID(room_id))
    finally:
        await conn.close()
    return {str(e.player_id): e.score for e in top}, {str(r["id"]): int(r["points"]) for r in rows}


async def clients_per_worker(deployment: Deployment) -> dict[str, int]:
    """/play connections each web host holds (its own /metrics, from the test's network)."""
    import aiohttp

    counts = {}
    async with aiohttp.ClientSession() as http:
        for host, (_, url) in deployment.workers.items():
            async with http.get(f"{url}/metrics") as response:
                text = await response.text()
            counts[host] = sum(int(float(line.split()[-1])) for line in text.splitlines()
                               if line.startswith('mathrally_connected_clients{namespace="/play"}'))
    return counts


async def eventually(condition: Callable[[], bool], within_s: float) -> None:
    async with asyncio.timeout(within_s):
        while True:
            if condition():
                return
            await asyncio.sleep(0.05)


def seconds(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"n": 0, "p50": None, "max": None}
    return {"n": len(values), "p50": round(statistics.median(values), 2), "max": round(max(values), 2)}


async def test_a_web_host_cut_off_for_5_s_mid_game(deployment: Deployment):
    network = deployment.network
    # No worker shares a loopback with its database or Redis: they are only on their own hosts.
    for host in WEB_HOSTS:
        assert reachable(network, host, "127.0.0.1", deployment.database.port) == "ConnectionRefusedError"
        assert reachable(network, host, "127.0.0.1", deployment.redis.port) == "ConnectionRefusedError"
        assert reachable(network, host, network.addresses["db"], deployment.database.port) == "open"

    db = create_database(deployment.database_url, pool_size=2)
    tls = ssl.create_default_context(cafile=str(deployment.proxy.certificate))
    factory = TransportFactory("websockets", tls=tls)
    url = deployment.proxy.https_url
    hosts: list[RawHost] = []
    classrooms: list[RawClassroom] = []
    rooms: list[dict] = []
    try:
        for number in range(ROOMS):
            teacher, token = await factories.make_teacher_with_token(db)
            room = await factories.make_room(db, teacher, question_count=QUESTIONS,
                                             time_limit_ms=TIME_LIMIT_MS, auto_advance_ms=1500)
            rooms.append(room)
            host = RawHost(url, token, str(room["room_id"]), factory)
            await host.connect()  # the proxy's round robin spreads the rooms' owners over both
            hosts.append(host)
            classrooms.append(RawClassroom([url], room, STUDENTS, seed=100 * number + 1, factory=factory))
        await asyncio.gather(*(c.join() for c in classrooms))
        await eventually(lambda: all(h.lobby_count == STUDENTS for h in hosts), within_s=60)
        spread = await clients_per_worker(deployment)
        assert min(spread.values()) >= ROOMS * STUDENTS // 4, spread  # both web hosts serve students

        started = time.monotonic()
        await asyncio.gather(*(h.start() for h in hosts))

        async def owners() -> list[str]:
            """Each room's owning worker, from its lease ("" where none is held)."""
            redis = create_redis(deployment.redis.url)
            try:
                values = [await redis.get(owner_key(deployment.prefix, room["room_id"])) for room in rooms]
            finally:
                await redis.aclose()
            return [v.decode().rsplit(":", 1)[0] if v else "" for v in values]

        async def cut_web1() -> tuple[float, float, list[str], list[str]]:
            # Mid-question: question 1 is open in every room and answers are arriving.
            await eventually(lambda: all(any(1 in s.questions for s in c.students) for c in classrooms),
                             within_s=60)
            await asyncio.sleep(0.5)
            before = await owners()
            cut = network.cut("web1")
            await asyncio.sleep(CUT_S)
            restored = network.restore("web1")
            await asyncio.sleep(1.0)
            return cut, restored, before, await owners()

        fault = asyncio.create_task(cut_web1())
        runs: list[GameRun] = await asyncio.gather(*(
            c.play(QUESTIONS, h.game_over, within_s=150) for c, h in zip(classrooms, hosts, strict=True)))
        cut, restored, owners_before, owners_after = await fault
        game_s = time.monotonic() - started

        for room, run in zip(rooms, runs, strict=True):
            await check_game_after_fault(deployment.database_url, room["room_id"], run)
        boards_match = 0
        for room in rooms:
            board, record = await board_and_record(deployment, str(room["room_id"]))
            assert board == record, room["room_id"]
            boards_match += 1

        sends = [s for run in runs for r in run.records for s in r.sends]
        during = Counter(s.code for s in sends if cut - 1 <= s.at < restored + 10)
        students = [s for c in classrooms for s in c.students]
        lost = [s for s in students if s.lost_at]
        rejoin_s = [s.rejoins[0] - s.lost_at[0] for s in lost if s.rejoins]
        # Answers sent before the link came back and acknowledged only after it.
        held = [s.at + s.waited_s - restored for s in sends if s.at < restored < s.at + s.waited_s]
        waits = sorted(s.waited_s for s in sends)
        figures = {
            "rooms": ROOMS, "students": len(students), "students_per_web_host_before": spread,
            "cut_s": round(restored - cut, 2), "game_s": round(game_s, 1),
            "sends": len(sends), "acks_by_code": dict(Counter(s.code for s in sends)),
            "acks_by_code_from_cut_to_10s_after": dict(during),
            "ack_wait_p50_s": round(statistics.median(waits), 3),
            "ack_wait_p99_s": round(waits[int(len(waits) * 0.99) - 1], 2),
            "longest_ack_wait_s": round(waits[-1], 2),
            "answers_acked": sum(r.ack is not None for run in runs for r in run.records),
            "answers": sum(len(run.records) for run in runs),
            "students_whose_connection_broke": len(lost), "rejoin_s": seconds(rejoin_s),
            "teacher_reconnects": sum(len(h.reconnects) for h in hosts),
            "rooms_owned_by_each_worker_before": sorted(Counter(owners_before).values()),
            "rooms_whose_owner_changed": sum(a != b for a, b in zip(owners_before, owners_after,
                                                                  strict=True)),
            "acks_held_across_the_cut": len(held),
            "last_held_ack_after_restore_s": round(max(held), 2) if held else None,
            "proxy_marked_web1_down": "web1 is DOWN" in deployment.proxy.log.read_text(),
            "acked_equals_committed_rooms": len(runs), "boards_equal_postgresql_rooms": boards_match,
        }
        print(f"\nREHEARSAL web1 cut for {CUT_S:.0f} s: {json.dumps(figures)}")
        assert all(s.rejoins for s in lost), "a student whose connection broke never came back"
        # A pause, not an outage: nobody waited much longer than the cut itself for an answer.
        assert figures["longest_ack_wait_s"] < CUT_S + 15, figures
    finally:
        await asyncio.gather(*(h.close() for h in hosts), return_exceptions=True)
        await asyncio.gather(*(c.close() for c in classrooms), return_exceptions=True)
        await factory.aclose()
        await db.dispose()
