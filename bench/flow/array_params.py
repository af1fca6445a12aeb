"""What an array parameter costs per value, as a text literal or as asyncpg's binary array.

    python -m bench.flow.array_params [--values 500] [--repeat 400] [--rounds 2]

For each element type the answer flow sends (persistence/pg_arrays.py), a prepared
`SELECT cardinality($1::text::T[])` gets a literal built by `array_literal`, and
`SELECT cardinality($1::T[])` gets the Python list; the CPU of this process (building and
encoding) and of the PostgreSQL backend (parsing) are divided by the values sent. Needs
PostgreSQL on this machine, its backends visible in /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import time
import uuid
from decimal import Decimal

import asyncpg
import orjson

from bench.common.machine import load_average
from bench.common.postgres import server_url
from bench.common.procstat import cpu_ns


def _uuid_literal(values) -> str:
    # The text form the flow sent before: 32 hex digits each.
    return "{" + ",".join(f"{v.int:032x}" for v in values) + "}"


def _iso_literal(values) -> str:
    return "{" + ",".join(v.isoformat() for v in values) + "}"


def _quoted_literal(values) -> str:
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
                          for v in values) + "}"


def _samples(count: int) -> dict[str, tuple[str, list, object]]:
    """element type → (PostgreSQL type, values, how the text literal is built)."""
    from persistence.pg_arrays import array_literal

    rng = random.Random(5)
    start = dt.datetime(2026, 3, 2, 9)
    recent = [orjson.dumps([{"c": rng.random() < 0.85, "t": rng.randint(600, 9000),
                             "at": (start + dt.timedelta(seconds=i)).isoformat()}
                            for i in range(5)]).decode() for _ in range(count)]
    return {
        "int": ("int", [rng.randint(0, 10**6) for _ in range(count)],
                lambda v: array_literal(v, "v")),
        "numeric": ("numeric", [Decimal(rng.randint(130, 250)) / 100 for _ in range(count)],
                    lambda v: array_literal(v, "v")),
        "bool": ("bool", [rng.random() < 0.5 for _ in range(count)], lambda v: array_literal(v, "b")),
        "uuid": ("uuid", [uuid.uuid4() for _ in range(count)], _uuid_literal),
        "date": ("date", [start.date() + dt.timedelta(days=i % 300) for i in range(count)],
                 _iso_literal),
        "timestamp": ("timestamp", [start + dt.timedelta(seconds=i) for i in range(count)],
                      _iso_literal),
        "json text": ("text", recent, _quoted_literal),
    }


async def _measure(conn: asyncpg.Connection, sql: str, make_argument, values: int,
                   repeat: int) -> tuple[float, float]:
    statement = await conn.prepare(sql)
    pid = conn.get_server_pid()
    backend_before, python_before = cpu_ns(pid), time.process_time()
    for _ in range(repeat):
        await statement.fetchval(make_argument())
    python_ns = (time.process_time() - python_before) * 1e9 / repeat / values
    return python_ns, (cpu_ns(pid) - backend_before) / repeat / values


async def main(args: argparse.Namespace) -> None:
    conn = await asyncpg.connect(server_url())
    try:
        print(f"{args.values} values an array, {args.repeat} arrays, {args.rounds} rounds; "
              f"ns per value (Python + PostgreSQL); load average {load_average()}")
        for _ in range(args.rounds):
            for name, (pg_type, values, literal) in _samples(args.values).items():
                text = await _measure(conn, f"SELECT cardinality($1::text::{pg_type}[])",
                                      lambda v=values, f=literal: f(v), args.values, args.repeat)
                binary = await _measure(conn, f"SELECT cardinality($1::{pg_type}[])",
                                        lambda v=values: v, args.values, args.repeat)
                print(f"  {name:10s} text {text[0]:5.0f} + {text[1]:5.0f} = {sum(text):5.0f}   "
                      f"binary {binary[0]:5.0f} + {binary[1]:5.0f} = {sum(binary):5.0f}")
    finally:
        await conn.close()


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--values", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2)
    asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    cli()
