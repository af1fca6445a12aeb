"""Reports read on a bounded pool of their own: with every one of its connections taken (a
storm of reports), the live game goes on (a student joins, answers are acknowledged and
committed, the teacher moves to the next question) and a report is refused at once with 503,
`Retry-After` and the error body, logged as one line."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import text

from server import app_keys
from server.app import create_app
from tests.support import factories
from tests.support.live_clients import connect_host, connect_student, live_settings, new_attempt

REPORT_POOL_SIZE = 2
REPORT_POOL_TIMEOUT_MS = 300


@pytest.fixture
async def server(database_url, redis_url, redis_prefix, redis):
    settings = dataclasses.replace(live_settings(database_url, redis_url, redis_prefix),
                                   report_pool_size=REPORT_POOL_SIZE,
                                   report_pool_timeout_ms=REPORT_POOL_TIMEOUT_MS)
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


async def test_a_report_storm_leaves_the_live_game_its_connections(server, db, caplog):
    url = str(server.make_url("/")).rstrip("/")
    reads = server.app[app_keys.READS]
    assert reads.primary is not server.app[app_keys.DATABASE]  # not the live game's pool
    teacher, token = await factories.make_teacher_with_token(db)
    room = await factories.make_room(db, teacher, question_count=2, time_limit_ms=30_000)
    report_url = f"{url}/api/rooms/{room['room_id']}/report"
    auth = {"Authorization": f"Bearer {token}"}
    host = await connect_host(url, token, room["room_id"])
    ada = await connect_student(url, room["code"], "Ada")
    clients = [host, ada]
    async with aiohttp.ClientSession() as http, contextlib.AsyncExitStack() as held:
        try:
            async with http.get(report_url, headers=auth) as resp:
                assert resp.status == 200, await resp.text()
            # The storm: every connection reports may use is taken.
            for _ in range(REPORT_POOL_SIZE):
                await held.enter_async_context(reads.primary.engine.connect())

            bo = await connect_student(url, room["code"], "Bo")  # a join
            clients.append(bo)
            assert (await host.call("start"))["ok"]
            for student in (ada, bo):
                await student.wait_for("question", predicate=lambda q: q["index"] == 0)
                ack = await student.call("answer", {"index": 0, "answer": "7", "attempt_id": new_attempt()})
                assert ack["ok"], ack

            with caplog.at_level(logging.WARNING, logger="server.errors"):
                started = time.monotonic()
                async with http.get(report_url, headers=auth) as resp:
                    waited = time.monotonic() - started
                    assert resp.status == 503, await resp.text()
                    assert resp.headers["Retry-After"] == "2"
                    body = await resp.json()
                async with http.get(f"{report_url}?format=csv&part=students", headers=auth) as resp:
                    assert resp.status == 503 and resp.headers["Retry-After"] == "2"
            assert body["error"]["code"] == "busy" and body["error"]["message"], body
            assert REPORT_POOL_TIMEOUT_MS / 1000 <= waited < 2.0, waited
            refusals = [r for r in caplog.records if r.name == "server.errors"]
            assert len(refusals) == 2, [r.getMessage() for r in refusals]
            assert all(r.levelno == logging.WARNING and r.exc_info is None for r in refusals)
            assert "report connection busy" in refusals[0].getMessage()

            await host.wait_for("question_closed", predicate=lambda c: c["index"] == 0)
            assert (await host.call("next"))["ok"]  # the room's own writes
            async with db.engine.connect() as conn:
                stored = await conn.scalar(text(
                    "SELECT count(*) FROM answer_attempts a "
                    "JOIN room_players p ON p.session_id = a.session_id "
                    "WHERE p.room_id = :r"), {"r": room["room_id"]})
            assert stored == 2

            await held.aclose()  # the storm is over: reports are served again
            async with http.get(report_url, headers=auth) as resp:
                assert resp.status == 200, await resp.text()
                assert (await resp.json())["players"] == 2
        finally:
            for client in clients:
                if client.sio.connected:
                    await client.disconnect()
