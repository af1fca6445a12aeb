"""The columns of a batch as array parameters for the set-based statements of the answer flow.

Each column goes as one array, in whichever form costs less in Python and PostgreSQL
together (`python -m bench.flow.array_params`, ns per value): ints, numerics and booleans as one
text literal ('{1,NULL,3}', cast in SQL: `$1::text::int[]`), one str.join here where
asyncpg's binary encoder makes a Python-level call per element (3× as costly for Decimal);
UUIDs, dates, timestamps and text (the JSON documents) as lists in asyncpg's binary format
(`$1::uuid[]`), which PostgreSQL reads 2–5× faster than it parses their text, and text
needs no quoting here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

_BOOLS = {True: "t", False: "f", None: "NULL"}


def _plain(values: Iterable[Any]) -> str:
    # No int or Decimal prints as "None", so None can be renamed after the join.
    return ",".join(map(str, values)).replace("None", "NULL")


# v: values whose str() is their PostgreSQL input (int, Decimal); b: bool.
def _booleans(values: Iterable[Any]) -> str:
    return ",".join(map(_BOOLS.__getitem__, values))


ENCODERS: dict[str, Callable[[Iterable[Any]], str]] = {"v": _plain, "b": _booleans}
# u: UUIDs (uuid.UUID, asyncpg's UUID or 32/36-digit hex text); d: date or datetime; t: str.
BINARY = frozenset("udt")


def array_literal(values: Iterable[Any], kind: str) -> str:
    return "{" + ENCODERS[kind](values) + "}"


# One array parameter: a text literal, or a list asyncpg encodes in binary.
Column = str | list[Any]


def column_parameters(rows: Sequence[tuple[Any, ...]], kinds: str) -> list[Column]:
    """Rows of len(kinds) values → one array parameter per column."""
    if not rows:
        return [[] if kind in BINARY else "{}" for kind in kinds]
    return [list(column) if kind in BINARY else array_literal(column, kind)
            for column, kind in zip(zip(*rows, strict=True), kinds, strict=True)]
