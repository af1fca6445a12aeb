"""PostgreSQL array literals ('{a,b,NULL}') for the set-based statements of the answer flow.

The statements take each column of a batch as one array. Sent as a text literal and cast in
SQL (`$1::text::uuid[]`), an array of 500 values costs one str.join here; asyncpg's binary
array encoder instead runs Python-level type checks per element, which profiling showed to be
the largest share of the writer's own CPU time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _bool(value: bool) -> str:
    return "t" if value else "f"


def _iso(value) -> str:
    return value.isoformat()


# v: values whose str() is their PostgreSQL input (int, Decimal, UUID); b: bool;
# d: date or datetime (ISO 8601); t: text (always quoted, so "NULL" stays a string).
ENCODERS = {"v": str, "b": _bool, "d": _iso, "t": _quote}


def array_literal(values: Iterable, kind: str) -> str:
    encode = ENCODERS[kind]
    return "{" + ",".join("NULL" if v is None else encode(v) for v in values) + "}"


def column_literals(rows: Sequence[tuple], kinds: str) -> list[str]:
    """Rows of len(kinds) values → one array literal per column."""
    if not rows:
        return ["{}"] * len(kinds)
    return [array_literal(column, kind) for column, kind in zip(zip(*rows, strict=True), kinds,
                                                                 strict=True)]
