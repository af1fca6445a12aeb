"""`python -m bench.storm`: the classroom storm against the real server and the bare baseline.

Examples:
  python -m bench.storm                                  # every scenario, baseline then real
  python -m bench.storm --server baseline --scenario room2000
  python -m bench.storm --rooms 3 --students 40 --questions 2 --spread-ms 1000 --json
  # a change against the code before it (a worktree of that commit), alternating, 3 rounds:
  git worktree add --detach /tmp/before HEAD~1
  python -m bench.storm --before /tmp/before --rounds 3 --scenario rooms100x30 room2000
  # reads off the primary: a private primary and hot standby, every teacher refreshing the
  # room's report every 2 s, the server without and with DATABASE_REPLICA_URL, alternating:
  python -m bench.storm --replica --report-every-ms 2000 --rounds 3 --scenario rooms100x30
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.common import procstat
from bench.storm import profile, report, servers
from bench.storm.client import TransportFactory
from bench.storm.readers import ReportReaders
from bench.storm.scenario import (
    Measurements,
    RoomRun,
    Scenario,
    close_all,
    connect_staff,
    connect_students,
    create_rooms,
)

SCENARIOS = {
    "room2000": Scenario("room2000", rooms=1, students=2000, questions=3, spread_ms=5000),
    "room5000": Scenario("room5000", rooms=1, students=5000, questions=3, spread_ms=5000),
    "rooms100x30": Scenario("rooms100x30", rooms=100, students=30, questions=3, spread_ms=5000),
    # A school day: the same 100 rooms, each opening and closing its questions on its own
    # clock (starts spread over 15 s, up to 3 s on each leaderboard).
    "rooms100x30staggered": Scenario("rooms100x30staggered", rooms=100, students=30, questions=3,
                                     spread_ms=5000, stagger_ms=15_000, pause_ms=3_000),
    # Everyone answers the moment the question arrives: the throughput ceiling.
    "burst2000": Scenario("burst2000", rooms=1, students=2000, questions=3, spread_ms=0),
}


def raise_open_file_limit() -> None:
    """Thousands of sockets need thousands of descriptors; the servers we start inherit this."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def progress_line(label: str, scenario: Scenario, m: Measurements, stop: asyncio.Event) -> None:
    tty = sys.stderr.isatty()
    while not stop.is_set():
        line = (f"{label}: connected {m.connected}/{scenario.total_students}  answers acked "
                f"{m.acked_unique}/{m.answers_sent}  lost {m.lost}  errors {sum(m.ack_errors.values())}")
        print(("\r" + line + "   ") if tty else line, end="" if tty else "\n", file=sys.stderr, flush=True)
        try:
            await asyncio.wait_for(stop.wait(), 1.0 if tty else 5.0)
        except TimeoutError:
            pass
    if tty:
        print(file=sys.stderr)


async def run_scenario(server: servers.Target, scenario: Scenario, client_kind: str,
                       show_progress: bool = True, profile_dir: Path | None = None,
                       profile_phase: str = "game", report_every_ms: int = 0,
                       clusters: dict[str, int] | None = None) -> dict[str, Any]:
    """`profile_phase`: "game" samples the game only (what the CPU figures cover), "all" the
    joins too in the same file, "phases" the joins and the game in a file each.
    `report_every_ms`: each room's teacher refreshes its report this often during the game (0:
    none). `clusters`: PostgreSQL postmasters by label ("primary", "standby"), whose CPU over the
    game (every process of the cluster) is reported as `<label>_cpu_s`."""
    started = time.perf_counter()
    spy = None
    profile_path = profile_dir / f"{server.kind}-{scenario.name}.txt" if profile_dir else None
    joins_path = None
    if profile_dir is not None and profile_phase == "phases":
        profile_path = profile_dir / f"{server.kind}-{scenario.name}-game.txt"
        joins_path = profile_dir / f"{server.kind}-{scenario.name}-joins.txt"
    if profile_path is not None and profile_phase == "all":
        spy = await profile.start_py_spy(server.pid, profile_path)
    m = Measurements()
    tasks: set[asyncio.Future[Any]] = set()
    rooms = [RoomRun(number, scenario, m, tasks) for number in range(scenario.rooms)]
    factory = TransportFactory(client_kind)
    stop = asyncio.Event()
    ticker = (asyncio.create_task(progress_line(f"{server.kind}/{scenario.name}", scenario, m, stop))
              if show_progress else None)
    me = os.getpid()
    try:
        await create_rooms(server.url, rooms, scenario)
        await connect_staff(server.url, factory, rooms)
        await asyncio.sleep(0.5)
        rss_before, my_rss_before = procstat.rss_bytes(server.pid), procstat.rss_bytes(me)
        join_cpu_before = procstat.cpu_seconds(server.pid)
        join_spy = await profile.start_py_spy(server.pid, joins_path) if joins_path else None
        try:
            await connect_students(server.url, factory, rooms, scenario, m)
        finally:
            if join_spy is not None and joins_path is not None:
                await profile.stop_py_spy(join_spy)
                print(profile.summarise(joins_path), file=sys.stderr)
        join_cpu_s = procstat.cpu_seconds(server.pid) - join_cpu_before
        await asyncio.sleep(1.0)  # lobby updates are coalesced; let them go out before measuring
        rss_after, my_rss_after = procstat.rss_bytes(server.pid), procstat.rss_bytes(me)
        cpu_before, my_cpu_before = procstat.cpu_seconds(server.pid), procstat.cpu_seconds(me)
        database_name = server.database_url.rsplit("/", 1)[-1] if server.database_url else None
        pg_before = procstat.cpu_by_pid_matching(database_name) if database_name else None
        clusters_before = {label: procstat.cpu_of_process_and_children(pid)
                           for label, pid in (clusters or {}).items()}
        if profile_path is not None and spy is None:  # the game only, as the CPU figures
            spy = await profile.start_py_spy(server.pid, profile_path)
        readers = (ReportReaders(server.url, [(r.room_id, r.token) for r in rooms], report_every_ms / 1000)
                   if report_every_ms else None)
        if readers is not None:
            readers.start()
        try:
            await asyncio.gather(*(room.play() for room in rooms))
            while tasks:
                await asyncio.gather(*list(tasks), return_exceptions=True)
        finally:
            reads = await readers.stop() if readers is not None else None
        cluster_cpu_s = {f"{label}_cpu_s": round(procstat.cpu_delta(
            clusters_before[label], procstat.cpu_of_process_and_children(pid)), 2)
            for label, pid in (clusters or {}).items()}
        cpu_s = procstat.cpu_seconds(server.pid) - cpu_before
        my_cpu_s = procstat.cpu_seconds(me) - my_cpu_before
        pg_cpu_s = (procstat.cpu_delta(pg_before, procstat.cpu_by_pid_matching(database_name))
                    if database_name and pg_before is not None else None)
        committed = None
        if server.database_url:
            committed = await servers.committed_attempts(server.database_url, [r.room_id for r in rooms])
    finally:
        stop.set()
        if ticker:
            await ticker
        if spy is not None:
            await profile.stop_py_spy(spy)
            print(profile.summarise(profile_path), file=sys.stderr)
        await close_all(rooms)
        await factory.aclose()
    result = report.figures(scenario, m, server_kind=server.kind, cpu_s=cpu_s,
                          rss_before=rss_before, rss_after=rss_after, postgres_cpu_s=pg_cpu_s,
                          committed=committed,
                          generator_cpu_s=my_cpu_s, generator_rss_delta=my_rss_after - my_rss_before,
                          wall_s=time.perf_counter() - started, join_cpu_s=join_cpu_s)
    result.update(cluster_cpu_s)
    if reads is not None:
        result.update(reads.figures())
    # The machine is shared: say how busy it was, so a reader can weigh the latencies.
    result["load_avg_1m_after"] = os.getloadavg()[0]
    return result


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    # `timeout` and CI send SIGTERM: cancel, so the servers we started are stopped and dropped.
    main_task = asyncio.current_task()
    if main_task is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    if args.replica:
        async with replica_pair() as (primary_url, standby_url, clusters):
            return await _rounds(args, ["real", "replica"], primary_url, standby_url, clusters)
    kinds = ["baseline", "real"] if args.server == "both" else [args.server]
    if args.before is not None:
        kinds.insert(kinds.index("real") if "real" in kinds else len(kinds), "before")
    return await _rounds(args, kinds, args.postgres_url)


@contextlib.asynccontextmanager
async def replica_pair() -> AsyncIterator[tuple[str, str, dict[str, int]]]:
    """A private primary and hot standby, the pair tests/deploy/test_replica.py runs (bench/ may
    use the tests' helpers): (primary URL, standby URL, postmaster pids). It lives on a plain
    asyncio loop in a thread of its own: under uvloop, `pg_ctl start` (run through runuser)
    is never seen to exit."""
    from tests.support.replication import replication

    made: asyncio.Future[tuple[str, str, dict[str, int]]] = asyncio.get_running_loop().create_future()
    done = threading.Event()
    loop = asyncio.get_running_loop()

    async def hold() -> None:
        try:
            async with replication() as pair:
                found = (pair.primary.url(), pair.standby.url(),
                         {"primary": pair.primary.postmaster_pid(), "standby": pair.standby.postmaster_pid()})
                loop.call_soon_threadsafe(made.set_result, found)
                await asyncio.to_thread(done.wait)
        except BaseException as exc:
            if not made.done():
                loop.call_soon_threadsafe(made.set_exception, exc)
            raise

    holder = threading.Thread(target=asyncio.run, args=(hold(),), name="replica-pair")
    holder.start()
    try:
        yield await made
    finally:
        done.set()
        await asyncio.to_thread(holder.join)


async def _rounds(args: argparse.Namespace, kinds: list[str], postgres_url: str,
                  replica_url: str | None = None, clusters: dict[str, int] | None = None,
                  ) -> list[dict[str, Any]]:
    results = []
    for round_number in range(1, args.rounds + 1):
        for scenario in _chosen_scenarios(args):
            # Alternate the order each round, so neither server always runs first.
            for kind in kinds if round_number % 2 else kinds[::-1]:
                if kind == "baseline":
                    server = await servers.start_baseline()
                elif kind == "before":
                    server = await servers.start_real(postgres_url, args.redis_url or None,
                                                      root=args.before.resolve(), kind="before")
                elif kind == "replica":
                    server = await servers.start_real(postgres_url, args.redis_url or None,
                                                      kind="replica", replica_server_url=replica_url)
                else:
                    server = await servers.start_real(postgres_url, args.redis_url or None)
                try:
                    result = await run_scenario(server.target, scenario, args.client, not args.quiet,
                                                args.profile, args.profile_phase,
                                                args.report_every_ms, clusters)
                finally:
                    await servers.stop(server)
                result["round"] = round_number
                results.append(result)
    return results


def _chosen_scenarios(args: argparse.Namespace) -> list[Scenario]:
    if args.students:
        return [Scenario("custom", rooms=args.rooms, students=args.students, questions=args.questions,
                         spread_ms=args.spread_ms, time_limit_ms=args.time_limit_ms,
                         correct_share=args.correct_share, retry_share=args.retry_share,
                         connect_concurrency=args.connect_concurrency)]
    names = list(SCENARIOS) if "all" in args.scenario else args.scenario
    return [replace(SCENARIOS[name], correct_share=args.correct_share, retry_share=args.retry_share,
                    connect_concurrency=args.connect_concurrency) for name in names]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.storm", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", choices=["both", "baseline", "real"], default="both")
    parser.add_argument("--before", type=Path, metavar="DIR",
                        help="also a real server run from this checkout (the code before a "
                             "change), labelled `before`, in the same rounds")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every scenario this many times, the servers' order alternating")
    parser.add_argument("--scenario", nargs="+", choices=[*SCENARIOS, "all"], default=["all"])
    parser.add_argument("--rooms", type=int, default=1, help="custom scenario (with --students)")
    parser.add_argument("--students", type=int, default=0, help="students per room (custom scenario)")
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--spread-ms", type=int, default=5000)
    parser.add_argument("--time-limit-ms", type=int, default=10_000)
    parser.add_argument("--correct-share", type=float, default=0.8)
    parser.add_argument("--retry-share", type=float, default=0.05)
    parser.add_argument("--connect-concurrency", type=int, default=200,
                        help="students connecting at the same time")
    parser.add_argument("--client", choices=["aiohttp", "websockets"], default="aiohttp")
    parser.add_argument("--postgres-url", default=servers.LOCAL_POSTGRES,
                        help="server whose database we may create a throw-away database on")
    parser.add_argument("--redis-url", default=servers.LOCAL_REDIS, help="empty for in-process fakeredis")
    parser.add_argument("--report-every-ms", type=int, default=0,
                        help="each room's teacher refreshes the room's report this often "
                             "during the game (0: no reader load)")
    parser.add_argument("--replica", action="store_true",
                        help="run on a private PostgreSQL primary and hot standby (made as "
                             "docs/operations.md says), the real server without and with "
                             "DATABASE_REPLICA_URL (`real` and `replica`), and report each "
                             "cluster's CPU; --postgres-url is not used")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on stdout")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="sample each server with py-spy; collapsed stacks and a summary go to DIR")
    parser.add_argument("--profile-phase", choices=["game", "all", "phases"], default="game",
                        help="sample the game only (what the CPU figures cover), the joins too, "
                             "or the joins and the game in a file each")
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raise_open_file_limit()
    import uvloop

    results = uvloop.run(run(args))
    if args.markdown:
        print(report.markdown(results))
    elif args.json:
        json.dump({"machine": machine(), "results": results}, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print(report.table(results))
    ok = all(r["lost"] == 0 and not r["game_errors"] and r["acked_equals_committed"] is not False
             for r in results)
    return 0 if ok else 1


def machine() -> dict[str, Any]:
    model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        mem_kb = int(meminfo.readline().split()[1])
    return {"nproc": os.cpu_count(), "cpu": model, "memory_gb": round(mem_kb / 2**20, 1),
            "python": sys.version.split()[0]}

