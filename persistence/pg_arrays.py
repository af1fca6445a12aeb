"""The columns of a batch as array parameters for the set-based statements of the answer flow.

Each column goes as one array, in whichever form costs less in Python and PostgreSQL
together (`python -m bench.array_params`, per value): ints, numerics, booleans and text as
one text literal ('{a,b,NULL}', cast in SQL: `$1::text::int[]`), which costs one str.join
here where asyncpg's binary encoder costs a Python-level call per element (4× for Decimal);
UUIDs, dates and timestamps as lists in asyncpg's binary format (`$1::uuid[]`), since
PostgreSQL's uuid_in and timestamp_in parse text 3–5× slower than they read binary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


_BOOLS = {True: "t", False: "f", None: "NULL"}


def _plain(values: Iterable) -> str:
    # No int or Decimal prints as "None", so None can be renamed after the join.
    return ",".join(map(str, values)).replace("None", "NULL")


def _texts(values: Iterable) -> str:
    return ",".join(["NULL" if v is None else _quote(v) for v in values])


# v: values whose str() is their PostgreSQL input (int, Decimal); b: bool; t: text (always
# quoted, so "NULL" stays a string).
ENCODERS = {"v": _plain, "b": lambda values: ",".join(map(_BOOLS.__getitem__, values)),
            "t": _texts}
# u: UUIDs (uuid.UUID, asyncpg's UUID or 32/36-digit hex text); d: date or datetime.
BINARY = frozenset("ud")


def array_literal(values: Iterable, kind: str) -> str:
    return "{" + ENCODERS[kind](values) + "}"


def column_parameters(rows: Sequence[tuple], kinds: str) -> list[str | list]:
    """Rows of len(kinds) values → one array parameter per column."""
    if not rows:
        return [[] if kind in BINARY else "{}" for kind in kinds]
    return [list(column) if kind in BINARY else array_literal(column, kind)
            for column, kind in zip(zip(*rows, strict=True), kinds, strict=True)]
