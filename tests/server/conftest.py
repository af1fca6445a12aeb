"""The whole app under aiohttp's test client, against this session's database and Redis."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher

from server import app_keys
from server.app import create_app
from server.passwords import Passwords
from server.settings import Settings

# Cheap argon2 parameters keep the suite fast; production uses argon2-cffi's defaults.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


@pytest.fixture
def make_settings(database_url, redis_url, redis_prefix):
    def make(**overrides) -> Settings:
        # The session's database is migrated once by its fixture; skipping the check per app
        # keeps each test's start-up cheap.
        values = {"database_url": database_url, "redis_url": redis_url,
                  "redis_prefix": redis_prefix, "migrate_on_start": False, **overrides}
        return Settings(**values)
    return make


@pytest.fixture
def make_client(aiohttp_client, make_settings, redis):
    # Depends on `redis` so the keys an app writes (login counters) are deleted after each test.
    async def make(app=None, **overrides):
        if app is None:
            app = create_app(make_settings(**overrides))
            app[app_keys.PASSWORDS] = Passwords(FAST_HASHER)
        return await aiohttp_client(app)
    return make


@pytest.fixture
async def client(make_client):
    return await make_client()


@dataclass
class Teacher:
    user_id: str
    username: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def sign_up_and_log_in(client) -> Teacher:
    username = f"t-{uuid.uuid4().hex[:12]}"
    password = "correct horse battery"
    resp = await client.post("/api/teachers", json={
        "username": username, "email": f"{username}@school.example", "password": password})
    assert resp.status == 201, await resp.text()
    user_id = (await resp.json())["user_id"]
    resp = await client.post("/api/login", json={"username": username, "password": password})
    assert resp.status == 200, await resp.text()
    token = (await resp.json())["token"]
    client.session.cookie_jar.clear()  # tests authenticate explicitly, with the header
    return Teacher(user_id, username, password, token)


@pytest.fixture
async def teacher(client) -> Teacher:
    return await sign_up_and_log_in(client)


@pytest.fixture
async def other_teacher(client) -> Teacher:
    return await sign_up_and_log_in(client)


async def assert_error(resp, status: int, code: str) -> dict:
    assert resp.status == status, await resp.text()
    body = await resp.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body


# --- the live game: the whole app on a real port (Socket.IO clients need one) ------------


@pytest.fixture
async def live_server(database_url, redis_url, redis_prefix, redis):
    from aiohttp.test_utils import TestServer

    from tests.support.live_clients import live_settings

    server = TestServer(create_app(live_settings(database_url, redis_url, redis_prefix)),
                        host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


@pytest.fixture
def live_url(live_server) -> str:
    return str(live_server.make_url("/")).rstrip("/")
