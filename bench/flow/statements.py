"""PostgreSQL CPU of each statement of the answer flow, per attempt.

    python -m bench.flow.statements [--attempts 20000] [--users 2000] [--batch 500] [--as-sent]

Runs `commit_batch` (persistence/flow_batch.py) over bench.flow's workload
(bench/flow/workload.py) in batches of `--batch`, on one connection, on a fresh throwaway
database, and charges the CPU time the serving backend spent (/proc/<pid>/schedstat,
nanoseconds) to the statement that ran. It needs PostgreSQL on this machine (its backends
visible in /proc). No group commit and no concurrency: this is where PostgreSQL's share of the
writer's cost goes, statement by statement; bench.flow gives the totals. """

from __future__ import annotations

import argparse
import asyncio
import collections
import time

import asyncpg

from bench.common.machine import load_average
from bench.common.postgres import copy_database, drop, server_url
from bench.common.procstat import cpu_ns
from bench.flow.workload import seeded_template
from persistence import flow_batch
from persistence.flow_batch import QuestionCatalog, commit_batch
from sql import SQL_DIR


class _MeteredConnection:
    """The asyncpg connection commit_batch uses, charging backend CPU to each statement."""

    def __init__(self, conn: asyncpg.Connection, *, split_write_back: bool = True) -> None:
        self._conn = conn
        self._split = split_write_back
        self._pid = conn.get_server_pid()
        self._names = {flow_batch.statement(path.stem): path.stem
                       for path in (SQL_DIR / "answer_flow").glob("*.sql")}
        self.cpu_ns: collections.Counter[str] = collections.Counter()

    async def _charged(self, name: str, call, *args, **kwargs):
        before = cpu_ns(self._pid)
        try:
            return await call(*args, **kwargs)
        finally:
            self.cpu_ns[name] += cpu_ns(self._pid) - before

    async def fetch(self, sql: str, *args):
        return await self._charged(self._names.get(sql, sql[:40]), self._conn.fetch, sql, *args)

    async def execute(self, sql: str, *args):
        if self._split and sql == flow_batch.write_back_statement():
            # The writer sends these as one statement; here each runs alone with its own
            # parameters, so that each is charged its own CPU (the sum is a little more than
            # the combined statement's: five more round trips and executor starts a batch).
            for name in flow_batch.WRITE_BACK:
                own = flow_batch.statement(name)
                count = flow_batch.parameter_count(own)
                await self._charged(name, self._conn.execute, own, *args[:count])
                args = args[count:]
            return None
        name = "write_back (steps 1-5, sessions)" if sql == flow_batch.write_back_statement() \
            else self._names.get(sql, sql[:40])
        return await self._charged(name, self._conn.execute, sql, *args)

    def transaction(self):
        return self._conn.transaction()


async def main(args: argparse.Namespace) -> None:
    server = server_url()
    async with seeded_template(server, args.users, args.attempts) as (template, _facts, attempts):
        name, url = await copy_database(server, template)
        try:
            # The settings of the writer's own connections (server/resources.py).
            raw = await asyncpg.connect(url, server_settings={"timezone": "UTC",
                                                              **flow_batch.KEY_LOOKUP_SETTINGS})
            metered = _MeteredConnection(raw, split_write_back=not args.as_sent)
            catalog = QuestionCatalog()
            pid = raw.get_server_pid()
            total_before, python_before = cpu_ns(pid), time.process_time()
            for start in range(0, len(attempts), args.batch):
                await commit_batch(metered, attempts[start:start + args.batch], catalog)
            python = time.process_time() - python_before
            total = cpu_ns(pid) - total_before
            await raw.close()
        finally:
            await drop(server, name)
    n = len(attempts)
    print(f"{n} attempts in batches of {args.batch}; load average {load_average()}")
    print(f"PostgreSQL {total / n / 1e3:6.1f} µs per attempt, Python {python / n * 1e6:6.1f} µs "
          f"(commit_batch alone, one connection)")
    for statement_name, ns in metered.cpu_ns.most_common():
        print(f"  {statement_name:32s} {ns / n / 1e3:6.1f} µs")
    print(f"  {'BEGIN, COMMIT':32s} {(total - sum(metered.cpu_ns.values())) / n / 1e3:6.1f} µs")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--attempts", type=int, default=20000)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--as-sent", action="store_true",
                        help="charge steps 1-5 and the session counters as the writer sends them, "
                             "one statement, instead of running each alone")
    asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    cli()
