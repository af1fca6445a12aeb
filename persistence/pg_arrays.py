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


_BOOLS = {True: "t", False: "f", None: "NULL"}


def _plain(values: Iterable) -> str:
    # No int, Decimal or UUID prints as "None", so None can be renamed after the join.
    return ",".join(map(str, values)).replace("None", "NULL")


def _dates(values: Iterable) -> str:
    return ",".join(["NULL" if v is None else v.isoformat() for v in values])


def _texts(values: Iterable) -> str:
    return ",".join(["NULL" if v is None else _quote(v) for v in values])


# v: values whose str() is their PostgreSQL input (int, Decimal, UUID); b: bool;
# d: date or datetime (ISO 8601); t: text (always quoted, so "NULL" stays a string).
ENCODERS = {"v": _plain, "b": lambda values: ",".join(map(_BOOLS.__getitem__, values)),
            "d": _dates, "t": _texts}


def array_literal(values: Iterable, kind: str) -> str:
    return "{" + ENCODERS[kind](values) + "}"


def column_literals(rows: Sequence[tuple], kinds: str) -> list[str]:
    """Rows of len(kinds) values → one array literal per column."""
    if not rows:
        return ["{}"] * len(kinds)
    return [array_literal(column, kind) for column, kind in zip(zip(*rows, strict=True), kinds,
                                                                 strict=True)]
