"""/metrics, /readyz and request ids, on the whole app with the real database and Redis."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import types

import pytest
from aiohttp.test_utils import make_mocked_request
from prometheus_client.parser import text_string_to_metric_families

from persistence.migrations import migrate_async
from server import app_keys
from server.api_health import readyz
from server.app import create_app
from server.logs import ContextFilter, JsonFormatter, log_context
from server.metrics import redis_manager_probe
from server.settings import Settings
from tests.support import databases, services


def _settings(database_url: str, redis_url: str | None, redis_prefix: str) -> Settings:
    return Settings(database_url=database_url, redis_url=redis_url, redis_prefix=redis_prefix,
                    migrate_on_start=False)


@pytest.fixture
async def client(aiohttp_client, database_url, redis_url, redis_prefix):
    return await aiohttp_client(create_app(_settings(database_url, redis_url, redis_prefix)))


def _samples(body: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def _scrape(client) -> dict[tuple[str, tuple], float]:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return _samples(await response.text())


async def test_metrics_move_when_their_methods_are_called(client):
    metrics = client.app[app_keys.METRICS]
    before = await _scrape(client)
    assert before[("mathrally_answers_total", ())] == 0
    assert before[("mathrally_open_rooms", ())] == 0
    assert before[("mathrally_redis_up", ())] == 1  # the probe pinged as the app started
    assert ("mathrally_db_pool_checked_out", ()) in before
    assert ("mathrally_process_resident_memory_bytes", ()) in before

    metrics.client_connected("/play")
    metrics.client_connected("/play")
    metrics.client_connected("/host")
    metrics.client_disconnected("/play")
    metrics.watch_open_rooms(lambda: 1)
    metrics.observe_ack(0.003)
    metrics.observe_batch(40, 0.004)
    await metrics.after_commit_hook([object()] * 2)
    metrics.observe_commit_seconds(0.02)
    metrics.cache_hit("grid")
    metrics.cache_hit("grid")
    metrics.cache_miss("grid")
    metrics.watch_redis_manager(lambda: True)

    after = await _scrape(client)
    assert after[("mathrally_connected_clients", (("namespace", "/play"),))] == 1
    assert after[("mathrally_connected_clients", (("namespace", "/host"),))] == 1
    assert after[("mathrally_open_rooms", ())] == 1
    assert after[("mathrally_answers_total", ())] == 42
    assert after[("mathrally_ack_latency_seconds_count", ())] == 1
    assert after[("mathrally_ack_latency_seconds_bucket", (("le", "0.005"),))] == 1
    assert after[("mathrally_ack_latency_seconds_bucket", (("le", "0.0025"),))] == 0
    assert after[("mathrally_commit_latency_seconds_count", ())] == 2
    assert after[("mathrally_commit_latency_seconds_bucket", (("le", "0.01"),))] == 1
    assert after[("mathrally_commit_batch_size_count", ())] == 2
    assert after[("mathrally_commit_batch_size_sum", ())] == 42
    assert after[("mathrally_cache_hits_total", (("cache", "grid"),))] == 2
    assert after[("mathrally_cache_misses_total", (("cache", "grid"),))] == 1
    assert after[("mathrally_redis_manager_up", ())] == 1

    metrics.watch_redis_manager(lambda: 1 / 0)  # a broken probe reads as down
    assert (await _scrape(client))[("mathrally_redis_manager_up", ())] == 0


async def test_the_redis_manager_probe_follows_its_listener_task():
    manager = types.SimpleNamespace(connected=True, thread=None)
    probe = redis_manager_probe(manager)
    assert probe() is False  # initialize() has not started the listener yet
    manager.thread = asyncio.create_task(asyncio.sleep(3600))
    assert probe() is True
    manager.connected = False
    assert probe() is False
    manager.connected = True
    manager.thread.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await manager.thread
    assert probe() is False  # the listener died


async def test_each_app_has_its_own_registry(aiohttp_client, database_url, redis_url, redis_prefix):
    settings = _settings(database_url, redis_url, redis_prefix)
    first = await aiohttp_client(create_app(settings))
    second = await aiohttp_client(create_app(settings))
    first.app[app_keys.METRICS].observe_batch(5, 0.001)
    assert (await _scrape(first))[("mathrally_answers_total", ())] == 5
    assert (await _scrape(second))[("mathrally_answers_total", ())] == 0


async def test_readyz_is_ready_after_startup_and_not_while_shutting_down(client):
    response = await client.get("/readyz")
    assert (response.status, await response.json()) == (200, {"ready": True})
    assert (await _scrape(client))[("mathrally_ready", ())] == 1

    await client.app.shutdown()  # the on_shutdown signal, as on SIGTERM
    response = await client.get("/readyz")
    body = await response.json()
    assert (response.status, body["ready"], body["reason"]) == (503, False, "shutting_down")
    assert (await _scrape(client))[("mathrally_ready", ())] == 0
    # /healthz keeps its own contract meanwhile.
    health = await client.get("/healthz")
    assert (health.status, await health.json()) == (200, {"database": "ok", "redis": "ok"})


async def test_readyz_is_not_ready_while_resources_are_still_starting(
        aiohttp_client, database_url, redis_url, redis_prefix):
    app = create_app(_settings(database_url, redis_url, redis_prefix))
    seen = []

    async def last_resource(app):
        # Even the last cleanup context runs before the worker says it is ready.
        response = await readyz(make_mocked_request("GET", "/readyz", app=app))
        seen.append((response.status, json.loads(response.body)["reason"]))
        yield

    app.cleanup_ctx.append(last_resource)
    client = await aiohttp_client(app)
    assert seen == [(503, "starting")]
    assert (await client.get("/readyz")).status == 200


async def test_readyz_is_not_ready_while_migrations_are_pending(
        aiohttp_client, postgres_server_url, redis_url, redis_prefix):
    name = services.unique_name("mathrally_readyz")
    url = await databases.create_database(postgres_server_url, name)
    try:
        await migrate_async(url, "0001")
        client = await aiohttp_client(create_app(_settings(url, redis_url, redis_prefix)))
        response = await client.get("/readyz")
        body = await response.json()
        assert (response.status, body["reason"]) == (503, "migrations_pending")
        assert "mathrally migrate" in body["message"]

        await migrate_async(url)
        response = await client.get("/readyz")
        assert response.status == 200
        await client.close()
    finally:
        await databases.drop_database(postgres_server_url, name)


async def test_request_ids_go_in_and_out_and_onto_log_lines(client):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    http_log = logging.getLogger("mathrally.http")
    http_log.addHandler(handler)
    http_log.setLevel(logging.DEBUG)
    try:
        made = await client.get("/healthz")
        given = await client.get("/healthz", headers={"X-Request-Id": "edge-42.a"})
        forged = await client.get("/healthz", headers={"X-Request-Id": 'x" "level": "ERROR'})
        missing = await client.get("/no-such-page", headers={"X-Request-Id": "edge-43"})
    finally:
        http_log.removeHandler(handler)
        http_log.setLevel(logging.NOTSET)

    generated = made.headers["X-Request-Id"]
    assert len(generated) == 32 and int(generated, 16) >= 0
    assert given.headers["X-Request-Id"] == "edge-42.a"
    assert forged.headers["X-Request-Id"] != 'x" "level": "ERROR'
    assert (missing.status, missing.headers["X-Request-Id"]) == (404, "edge-43")

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["request_id"], line["path"], line["status"]) for line in lines] == [
        (generated, "/healthz", 200), ("edge-42.a", "/healthz", 200),
        (forged.headers["X-Request-Id"], "/healthz", 200), ("edge-43", "/no-such-page", 404)]
    assert all(line["level"] == "DEBUG" for line in lines[:3]) and lines[3]["level"] == "INFO"


def test_room_id_is_on_lines_logged_inside_a_room_context():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    room_log = logging.getLogger("mathrally.test.rooms")
    room_log.addHandler(handler)
    room_log.setLevel(logging.INFO)
    try:
        with log_context(room_id="r-1"):
            room_log.info("question %d closed", 3, extra={"answers": 27})
        room_log.info("outside")
    finally:
        room_log.removeHandler(handler)
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["room_id"] == "r-1" and inside["answers"] == 27
    assert inside["message"] == "question 3 closed"
    assert "room_id" not in outside
