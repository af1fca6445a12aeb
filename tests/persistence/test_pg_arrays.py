"""Array literals round-trip through PostgreSQL's own array input."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import asyncpg

from persistence.pg_arrays import array_literal


async def test_literals_parse_back_to_the_same_values(database_url):
    u = uuid.uuid4()
    cases = [
        ([u, None], "v", "uuid[]"), ([1, None, -7], "v", "int[]"),
        ([Decimal("1.50"), Decimal("-0.01"), Decimal("1E+1"), None], "v", "numeric[]"),
        ([True, False, None], "b", "bool[]"),
        ([dt.date(2026, 1, 2), None], "d", "date[]"),
        ([dt.datetime(2026, 1, 2, 3, 4, 5, 6), dt.datetime(2026, 1, 2)], "d", "timestamp[]"),
        (["NULL", None, "", 'a"b\\c', "{x,y}", " sp ", "é🙂"], "t", "text[]"),
        ([], "v", "int[]"),
    ]
    conn = await asyncpg.connect(database_url)
    try:
        for values, kind, pg_type in cases:
            got = await conn.fetchval(f"SELECT $1::text::{pg_type}", array_literal(values, kind))
            assert got == values, (values, got)
    finally:
        await conn.close()
