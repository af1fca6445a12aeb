"""`python -m bench.storm`: the classroom storm against the real server and the bare baseline.

Examples:
  python -m bench.storm                                  # every scenario, baseline then real
  python -m bench.storm --server baseline --scenario room2000
  python -m bench.storm --rooms 3 --students 40 --questions 2 --spread-ms 1000 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench import procstat, profile, report, servers
from bench.client import TransportFactory
from bench.scenario import (
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
                       profile_phase: str = "game") -> dict[str, Any]:
    started = time.perf_counter()
    spy = None
    profile_path = profile_dir / f"{server.kind}-{scenario.name}.txt" if profile_dir else None
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
        setup = await create_rooms(server.url, rooms, scenario, server.database_url)
        await connect_staff(server.url, factory, rooms)
        await asyncio.sleep(0.5)
        rss_before, my_rss_before = procstat.rss_bytes(server.pid), procstat.rss_bytes(me)
        await connect_students(server.url, factory, rooms, scenario, m)
        await asyncio.sleep(1.0)  # lobby updates are coalesced; let them go out before measuring
        rss_after, my_rss_after = procstat.rss_bytes(server.pid), procstat.rss_bytes(me)
        cpu_before, my_cpu_before = procstat.cpu_seconds(server.pid), procstat.cpu_seconds(me)
        database_name = server.database_url.rsplit("/", 1)[-1] if server.database_url else None
        pg_before = procstat.cpu_by_pid_matching(database_name) if database_name else None
        if profile_path is not None and spy is None:  # the game only, as the CPU figures
            spy = await profile.start_py_spy(server.pid, profile_path)
        await asyncio.gather(*(room.play() for room in rooms))
        while tasks:
            await asyncio.gather(*list(tasks), return_exceptions=True)
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
    result = report.figures(scenario, m, server_kind=server.kind, setup=setup, cpu_s=cpu_s,
                          rss_before=rss_before, rss_after=rss_after, postgres_cpu_s=pg_cpu_s,
                          committed=committed,
                          generator_cpu_s=my_cpu_s, generator_rss_delta=my_rss_after - my_rss_before,
                          wall_s=time.perf_counter() - started)
    # The machine is shared: say how busy it was, so a reader can weigh the latencies.
    result["load_avg_1m_after"] = os.getloadavg()[0]
    return result


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    # `timeout` and CI send SIGTERM: cancel, so the servers we started are stopped and dropped.
    main_task = asyncio.current_task()
    if main_task is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    scenarios = _chosen_scenarios(args)
    kinds = ["baseline", "real"] if args.server == "both" else [args.server]
    results = []
    for scenario in scenarios:
        for kind in kinds:
            if kind == "baseline":
                server = await servers.start_baseline()
            else:
                server = await servers.start_real(args.postgres_url, args.redis_url or None)
            try:
                results.append(await run_scenario(server.target, scenario, args.client,
                                                  not args.quiet, args.profile, args.profile_phase))
            finally:
                await servers.stop(server)
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
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on stdout")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="sample each server with py-spy; collapsed stacks and a summary go to DIR")
    parser.add_argument("--profile-phase", choices=["game", "all"], default="game",
                        help="sample the game only (what the CPU figures cover), or joins too")
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


if __name__ == "__main__":
    sys.exit(main())
