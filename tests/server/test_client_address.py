"""The client's address and scheme come from X-Forwarded-* only when the TCP peer is a trusted
proxy; the HTTP routes, the cookie, the join links and the Socket.IO namespaces all see it."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from server.app import create_app
from server.failure_limits import WRONG_JOIN_CODES
from server.settings import Settings
from tests.server.conftest import sign_up_and_log_in
from tests.support.live_clients import LiveClient, Refused, live_settings

LOOPBACK = (ipaddress.ip_network("127.0.0.1/32"),)
ELSEWHERE = (ipaddress.ip_network("10.0.0.0/8"),)


async def who_am_i(request: web.Request) -> web.Response:
    return web.json_response({"remote": request.remote, "scheme": request.scheme,
                              "host": request.host})


async def client_seeing(make_client, make_settings, trusted):
    app = create_app(make_settings(trusted_proxies=trusted))
    app.router.add_get("/test/who-am-i", who_am_i)
    return await make_client(app)


@pytest.mark.parametrize(("trusted", "headers", "expected"), [
    # Nobody trusted (the default): the headers are ignored.
    ((), {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}, ("127.0.0.1", "http")),
    # The peer (127.0.0.1) is trusted: the right-most address that is not a trusted proxy.
    (LOOPBACK, {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}, ("203.0.113.7", "https")),
    (LOOPBACK, {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}, ("203.0.113.7", "http")),
    (LOOPBACK, {"X-Forwarded-For": "203.0.113.7, 127.0.0.1"}, ("203.0.113.7", "http")),
    (LOOPBACK, {}, ("127.0.0.1", "http")),
    # Trusted proxies elsewhere, but this peer is not one of them: a forged header changes nothing.
    (ELSEWHERE, {"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "https"}, ("127.0.0.1", "http")),
])
async def test_forwarded_headers_count_only_from_a_trusted_peer(make_client, make_settings, trusted,
                                                                headers, expected):
    client = await client_seeing(make_client, make_settings, trusted)
    body = await (await client.get("/test/who-am-i", headers=headers)).json()
    assert (body["remote"], body["scheme"]) == expected


async def test_a_malformed_forwarded_header_from_the_proxy_is_a_clear_400(make_client, make_settings):
    client = await client_seeing(make_client, make_settings, LOOPBACK)
    for headers in ({"X-Forwarded-For": "not-an-address"},
                    [("X-Forwarded-For", "203.0.113.7"), ("X-Forwarded-For", "198.51.100.1")]):
        resp = await client.get("/test/who-am-i", headers=headers)
        assert resp.status == 400
        assert (await resp.json())["error"]["code"] == "invalid_forwarded_header"


async def test_https_at_the_proxy_gives_a_secure_cookie_and_https_links(make_client, make_settings):
    client = await client_seeing(make_client, make_settings, LOOPBACK)
    teacher = await sign_up_and_log_in(client)
    https = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    login = await client.post("/api/login", headers=https,
                              json={"username": teacher.username, "password": teacher.password})
    assert login.status == 200
    assert login.cookies["mathrally_token"]["secure"] is True
    plain = await client.post("/api/login", json={"username": teacher.username,
                                                  "password": teacher.password})
    assert plain.cookies["mathrally_token"]["secure"] == ""
    room = await (await client.post("/api/rooms", headers={**https, **teacher.headers}, json={
        "operation": "×", "question_count": 1, "time_limit_ms": 10_000})).json()
    assert room["join_url"].startswith("https://") and room["screen_url"].startswith("https://")


@pytest.fixture
async def proxied_live_url(database_url, redis_url, redis_prefix, redis):
    settings: Settings = live_settings(database_url, redis_url, redis_prefix)
    settings = Settings(**{**settings.__dict__, "trusted_proxies": LOOPBACK})
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("/")).rstrip("/")
    await server.close()


async def test_socketio_connections_see_the_forwarded_address(proxied_live_url):
    async def guess(address: str) -> str | None:
        try:
            client = await LiveClient(proxied_live_url, "/play").connect(
                {"code": "0000000", "nickname": "G"}, headers={"X-Forwarded-For": address})
        except Refused as refused:
            return refused.code
        await client.disconnect()
        return None

    codes = await asyncio.gather(*(guess("203.0.113.7") for _ in range(WRONG_JOIN_CODES.amount - 1)))
    assert set(codes) == {"room_not_found"}
    assert await guess("203.0.113.7") == "rate_limited"  # the limit is reached by this address
    # Another school behind the same proxy is not affected.
    assert await guess("198.51.100.20") == "room_not_found"


@pytest.mark.parametrize(("trusted", "headers", "expected"), [
    ((), {"Forwarded": "for=203.0.113.7;proto=https"}, ("127.0.0.1", "http")),
    (LOOPBACK, {"Forwarded": "for=203.0.113.7;proto=https"}, ("203.0.113.7", "https")),
    # A client's own element, then the proxy's: the proxy's (right-most untrusted) counts.
    (LOOPBACK, {"Forwarded": "for=198.51.100.1, for=203.0.113.7"}, ("203.0.113.7", "http")),
    (LOOPBACK, {"Forwarded": 'for="203.0.113.7:4711", for=127.0.0.1;proto=https'},
     ("203.0.113.7", "http")),
    (LOOPBACK, {"Forwarded": 'for="[2001:db8::17]:4711";proto=https'}, ("2001:db8::17", "https")),
    # With FORWARDED_HEADER=forwarded an X-Forwarded-For a client slipped through is not read.
    (LOOPBACK, {"X-Forwarded-For": "192.0.2.99", "Forwarded": "for=203.0.113.7"}, ("203.0.113.7", "http")),
    (ELSEWHERE, {"Forwarded": "for=10.1.2.3;proto=https"}, ("127.0.0.1", "http")),
])
async def test_rfc7239_forwarded_when_the_proxy_writes_it(make_client, make_settings, trusted, headers,
                                                         expected):
    app = create_app(make_settings(trusted_proxies=trusted, forwarded_header="forwarded"))
    app.router.add_get("/test/who-am-i", who_am_i)
    client = await make_client(app)
    body = await (await client.get("/test/who-am-i", headers=headers)).json()
    assert (body["remote"], body["scheme"]) == expected


async def test_with_x_forwarded_for_a_forwarded_header_is_not_read(make_client, make_settings):
    client = await client_seeing(make_client, make_settings, LOOPBACK)
    body = await (await client.get("/test/who-am-i", headers={"Forwarded": "for=192.0.2.99"})).json()
    assert body["remote"] == "127.0.0.1"


async def test_a_malformed_rfc7239_header_from_the_proxy_is_a_clear_400(make_client, make_settings):
    app = create_app(make_settings(trusted_proxies=LOOPBACK, forwarded_header="forwarded"))
    client = await make_client(app)
    resp = await client.get("/healthz", headers={"Forwarded": "@@@"})
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "invalid_forwarded_header"


def test_forwarded_header_setting_is_checked():
    assert Settings.from_env({"FORWARDED_HEADER": "Forwarded"}).forwarded_header == "forwarded"
    with pytest.raises(ValueError, match="FORWARDED_HEADER"):
        Settings.from_env({"FORWARDED_HEADER": "x-real-ip"})
