"""Array parameters round-trip through PostgreSQL: text literals through its array input,
the binary columns through asyncpg's encoders."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import asyncpg

from persistence.pg_arrays import array_literal, column_parameters


async def test_literals_parse_back_to_the_same_values(database_url):
    cases = [
        ([1, None, -7], "v", "int[]"),
        ([Decimal("1.50"), Decimal("-0.01"), Decimal("1E+1"), None], "v", "numeric[]"),
        ([True, False, None], "b", "bool[]"),
        ([], "v", "int[]"),
    ]
    conn = await asyncpg.connect(database_url)
    try:
        for values, kind, pg_type in cases:
            got = await conn.fetchval(f"SELECT $1::text::{pg_type}", array_literal(values, kind))
            assert got == values, (values, got)
    finally:
        await conn.close()


async def test_columns_mix_literals_and_binary_arrays(database_url):
    u = uuid.uuid4()
    new_id = uuid.UUID(int=(1 << 127) + 5)
    texts = ["NULL", None, "", 'a"b\\c', "{x,y}", " sp ", "é🙂"]
    rows = [(f"{new_id.int:032x}", u, dt.date(2026, 1, 2), dt.datetime(2026, 1, 2, 3, 4, 5, 6), 3,
             texts[0]),
            (str(u), None, None, dt.datetime(2026, 1, 2), None, texts[1])]
    rows += [(str(u), None, None, dt.datetime(2026, 1, 2), None, text) for text in texts[2:]]
    parameters = column_parameters(rows, "uuddvt")
    conn = await asyncpg.connect(database_url)
    try:
        got = await conn.fetchrow(
            "SELECT $1::uuid[] AS ids, $2::uuid[] AS users, $3::date[] AS days, "
            "$4::timestamp[] AS times, $5::text::int[] AS counts, $6::text[] AS texts",
            *parameters)
        assert got["ids"] == [new_id] + [u] * (len(rows) - 1)
        assert got["users"] == [u] + [None] * (len(rows) - 1)
        assert got["days"] == [dt.date(2026, 1, 2)] + [None] * (len(rows) - 1)
        assert got["times"] == [dt.datetime(2026, 1, 2, 3, 4, 5, 6)] + \
            [dt.datetime(2026, 1, 2)] * (len(rows) - 1)
        assert got["counts"] == [3] + [None] * (len(rows) - 1)
        assert got["texts"] == texts
        empty = await conn.fetchrow("SELECT $1::uuid[] AS ids, $2::text::int[] AS counts",
                                    *column_parameters([], "uv"))
        assert (empty["ids"], empty["counts"]) == ([], [])
    finally:
        await conn.close()
