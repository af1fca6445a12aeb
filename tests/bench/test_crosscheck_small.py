"""The second load generator (bench/crosscheck/) in miniature: correctness only, never a
time. Against the real app, every student joins, every answer is acknowledged, and the
acknowledged answers are exactly the rows committed."""

from __future__ import annotations

import argparse
import os

from aiohttp.test_utils import TestServer

from bench.crosscheck import run as crosscheck


async def test_crosscheck_storm_commits_every_acked_answer(
        database_url, redis_url, redis_prefix, redis, clean_db):
    from server.app import create_app
    from server.settings import Settings

    settings = Settings(database_url=database_url, redis_url=redis_url, redis_prefix=redis_prefix,
                        secret_key="crosscheck-test-secret", migrate_on_start=False, batch_window_ms=2)
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    args = argparse.Namespace(rooms=2, students=6, questions=2, spread_ms=300, time_limit_ms=5000,
                              stagger_ms=0, join_order="interleaved")
    try:
        url = str(server.make_url("/")).rstrip("/")
        result = await crosscheck.storm(url, os.getpid(), database_url, args)
    finally:
        await server.close()
    assert result["connected"] == 12 and result["refused"] == {}
    assert result["lost"] == 0 and result["errors"] == {}
    assert result["answers_sent"] == result["acked"] == 24
    assert result["committed"] == 24
